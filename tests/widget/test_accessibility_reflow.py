"""Small screens and low vision: the widget reflows at 320 CSS px and honours reduced motion.

320 CSS px wide is what a 1280 px window shows at 400% zoom, or a 640 px one at 200%
(WCAG 1.4.10). One page at that width, with a thread nested to the depth cap, long
names and long words, a reply form with an error open at the deepest level, the report
form and a passage's panel: nothing may need a horizontal scroll (a code block scrolls
inside itself, as the criterion allows). The reader asks for reduced motion: a new
comment is not animated.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.widget.conftest import Service, requires_chromium

pytestmark = requires_chromium

WIDTH = 320
ARTICLE_TEXT = """<main><article><h1>The new bridge</h1>
<p data-comments-passage="opening">The council opened the new river bridge on Monday.</p>
</article></main>"""

# Every element (through open shadow roots) that reaches past the viewport's edges,
# except what is inside an element that scrolls on its own (a code block).
_OVERFLOWING = """(width) => {
  const out = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) walk(el.shadowRoot);
      if (el.closest('pre')) continue;
      const box = el.getBoundingClientRect();
      if (box.width && (box.right > width + 0.5 || box.left < -0.5)) {
        out.push(`${el.tagName}.${el.className} ${Math.round(box.left)}..${Math.round(box.right)}`);
      }
    }
  };
  walk(document);
  return out;
}"""


def test_at_320_css_px_nothing_scrolls_sideways_and_reduced_motion_is_honoured(
    new_page: Any, service: Service
) -> None:
    article = service.new_article()
    long_name = "Maximiliane Wolkenstein-Oberhausen"
    parent = None
    for depth in range(4):
        parent = service.post(
            article, f"Level {depth}: Donaudampfschifffahrtsgesellschaftskapitänswitwe "
            "https://example.org/a/really/long/path/that/does/not/break/anywhere "
            "\n\n```\nconst aLongLineOfCode = 'that scrolls inside its own block';\n```",
            name=long_name, parent=parent)
    page: Page = new_page(viewport={"width": WIDTH, "height": 700}, reduced_motion="reduce")
    page.goto(service.page(article, before=ARTICLE_TEXT))
    deepest = page.locator(".c.depth-3")
    expect(deepest).to_have_count(1)
    deepest.locator(":scope > .main > .actions > .reply").click()
    deepest.get_by_role("button", name="Post reply").click()
    expect(deepest.locator(".reply-form .field-error").first).to_be_visible()
    page.locator(".c.depth-2 > .main > .actions > .flag").click()
    page.locator("[data-comments-marker] .mk").first.click()
    expect(page.locator("[data-comments-panel] textarea")).to_be_focused()

    assert page.evaluate(_OVERFLOWING, WIDTH) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH

    page.locator("#comments .compose textarea").fill("A new one, without a flash.")
    page.locator("#comments .compose").get_by_role("button", name="Post comment").click()
    fresh = page.locator(".list > .c.is-new")
    expect(fresh).to_have_count(1)
    assert fresh.evaluate("el => getComputedStyle(el).animationName") == "none"
