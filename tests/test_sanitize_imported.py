"""sanitize.clean_imported and render_imported: what another system stored, through the one
sanitizer; and the plain-paragraph fast path, held equal to bleach's own answer."""

from __future__ import annotations

import random
import re

import pytest

from comments_service import sanitize

# Characters the fast path lets through, and ones it must send to bleach.
_ALPHABET = (
    "abcXYZ019 \t\n\"'`=/?!.,;:-_()[]{}*#%+~|^$@\\" "éß日本🎉\xa0\u00ad\u200b\u2028\u3000\ufeff"
    "\u0300\U0001d11e"
)
_HOSTILE = ["<", ">", "&", "&amp;", "://", "www.", "\r", "\x00", "\x0c", "\x85", "\u202e",
            "\ufffe", "\U0001ffff", "<b>", "</p>", "<p>", "<br/>", "<br >", "<script>"]


def _paragraphs(rng: random.Random, alphabet: str) -> str:
    blocks = []
    for _ in range(rng.randint(0, 4)):
        lines = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
                 for _ in range(rng.randint(1, 3))]
        blocks.append(f"<p>{'<br>'.join(lines)}</p>")
    gap = rng.choice(["", "\n", "\n\n", " \t\n"])
    return rng.choice(["", "\n", " "]) + gap.join(blocks) + rng.choice(["", "\n", "  "])


def test_plain_paragraphs_fast_path_gives_exactly_what_bleach_gives(monkeypatch):
    rng = random.Random(1717)
    inputs = []
    for _ in range(3000):
        html = _paragraphs(rng, _ALPHABET)
        if rng.random() < 0.3:  # now and then something the cleaner must see
            at = rng.randint(0, len(html))
            html = html[:at] + rng.choice(_HOSTILE) + html[at:]
        inputs.append(html)
    fast = [sanitize.clean_imported(html) for html in inputs]
    assert sum(map(sanitize._is_plain, inputs)) > 1500  # the fast path is exercised
    monkeypatch.setattr(sanitize, "_is_plain", lambda html: False)
    for html, answer in zip(inputs, fast, strict=True):
        assert answer == sanitize.clean_imported(html), repr(html)


def test_plain_paragraphs_to_text_gives_exactly_what_html_parser_gives(monkeypatch):
    """to_text's shortcut for <p>/<br> HTML writes the text html.parser's path writes,
    on generated paragraphs with every kind of whitespace and control character, and
    with hostile pieces (other tags, entities, stray brackets) put in anywhere."""
    rng = random.Random(1718)
    alphabet = _ALPHABET + "\r\x00\x0c\x0b\x1f\x85\u2028\u2029\u202e  \t\t\n\n"
    inputs = []
    for _ in range(4000):
        html = _paragraphs(rng, alphabet)
        if rng.random() < 0.3:
            at = rng.randint(0, len(html))
            html = html[:at] + rng.choice([*_HOSTILE, "<P>", "</br>", "<p >", "<br/>", "&#"]) + (
                html[at:])
        inputs.append(html)
    fast = [sanitize.to_text(html) for html in inputs]
    assert sum(bool(sanitize._PLAIN_PARAGRAPHS.fullmatch(html)) for html in inputs) > 2000
    monkeypatch.setattr(sanitize, "_PLAIN_PARAGRAPHS", re.compile(r"(?!)"))
    for html, answer in zip(inputs, fast, strict=True):
        assert answer == sanitize.to_text(html), repr(html)


@pytest.mark.parametrize("html", [
    "<p>a<p>b</p>", "<p>a</p></p>", "<p>x &lt; y</p>", "<p>see www.example.org</p>",
    "<p>see HTTP://EXAMPLE.ORG</p>", "<p>bidi \u202e txt</p>", "<p>a\rb</p>",
])
def test_what_the_cleaner_would_change_never_takes_the_fast_path(html):
    assert not sanitize._is_plain(html)


def test_inline_tags_of_the_old_system_keep_their_meaning():
    assert sanitize.clean_imported(
        '<b>b</b> <i>i</i> <a href="https://x.example" onclick="x()">a</a> <code>c</code> '
        "<blockquote>q</blockquote><script>alert(1)</script><del>d</del>"
    ) == (
        '<strong>b</strong> <em>i</em> <a href="https://x.example" rel="nofollow ugc noopener">'
        "a</a> <code>c</code> <blockquote>q</blockquote>d"
    )


def test_render_imported_reads_inline_html_in_markdown_and_cleans_it():
    assert sanitize.render_imported("**md** and <i>html</i>\n<img src=x onerror=y>") == (
        "<p><strong>md</strong> and <em>html</em><br>\n</p>")
    assert sanitize.render_imported("  ") == ""
    assert sanitize.render("<i>html</i>") == "<p>&lt;i&gt;html&lt;/i&gt;</p>"
