"""What the accessibility tests share: axe-core run inside the page, and where focus is.

axe-core (4.12.1, MPL-2.0) comes bundled in the axe-playwright-python wheel; it is
injected into the page as it stands and run on the whole document, open shadow roots
included (the widget's and each passage marker's and panel's), with the WCAG 2.2 A and
AA rules. "label-content-name-mismatch" (WCAG 2.5.3, label in name) is marked
experimental in axe and so off by default: it is switched on here, since a control whose
name does not contain its visible text is one we must not ship.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import axe_playwright_python

AXE_SCRIPT = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = {"serious", "critical"}

_RUN = """async (tags) => {
  const results = await window.axe.run(document, {
    runOnly: { type: 'tag', values: tags },
    rules: { 'label-content-name-mismatch': { enabled: true } },
    resultTypes: ['violations'],
  });
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact,
    nodes: v.nodes.map((n) => ({ target: n.target, summary: n.failureSummary })),
  }));
}"""


def axe_violations(page: Any) -> list[str]:
    """The serious and critical WCAG 2.2 A/AA violations on the page now, one line each."""
    if not page.evaluate("() => Boolean(window.axe)"):
        page.evaluate(AXE_SCRIPT)
    found = page.evaluate(_RUN, WCAG_TAGS)
    return [
        f"{v['id']} ({v['impact']}) at {node['target']}: {node['summary']}"
        for v in found if v["impact"] in BLOCKING
        for node in v["nodes"]
    ]


# The focused element, looked up through open shadow roots; "BODY" when focus is lost.
_FOCUSED = """() => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  if (!el || el === document.body) return { tag: 'BODY' };
  const style = getComputedStyle(el);
  return {
    tag: el.tagName, text: (el.getAttribute('aria-label') || el.textContent || '').trim(),
    visible: el.matches(':focus-visible'),
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
    shadow: style.boxShadow !== 'none',
  };
}"""


def focused(page: Any) -> dict[str, Any]:
    """What has focus (through shadow roots): tag, text, whether it shows a focus ring."""
    return page.evaluate(_FOCUSED)


def assert_focus_shown(page: Any) -> dict[str, Any]:
    """Focus is on an element (not lost to <body>) that draws a visible focus indicator."""
    now = focused(page)
    assert now["tag"] != "BODY", "focus was lost to <body>"
    assert now["outline"] or now["shadow"], f"no visible focus indicator on {now}"
    return now
