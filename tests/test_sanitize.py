"""The judge for comments_service.sanitize: whatever library cleans HTML, these must pass.

Nothing here imports the sanitizing library itself: the properties are checked with the
standard library's html.parser, so the same tests judge a bleach or an nh3 module.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from comments_service.sanitize import clean, count_links, render, to_text

ALLOWED_TAGS = {"p", "br", "a", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li"}
VOID_TAGS = {"br"}
ALLOWED_SCHEMES = {"http", "https", "mailto"}
REL = "nofollow ugc noopener"
BIDI_CONTROLS = {chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]}
# C0 controls other than tab, newline and carriage return.
CONTROL_CHARACTERS = {chr(c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)}


def _scheme_as_browser_reads_it(href: str) -> str:
    # Browsers drop tab/CR/LF anywhere and C0 controls and spaces at either end.
    trimmed = href.replace("\t", "").replace("\n", "").replace("\r", "")
    return urlsplit(trimmed.strip("".join(chr(c) for c in range(0x21)))).scheme.lower()


class _Audit(HTMLParser):
    """Collects every way a piece of HTML breaks the comment allow-list."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.open_tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"element <{tag}>")
        if tag == "a":
            self._check_link(attrs)
        elif attrs:
            self.problems.append(f"attributes {attrs} on <{tag}>")
        if tag not in VOID_TAGS:
            self.open_tags.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID_TAGS:  # a browser ignores the "/" and leaves <p/> open
            self.problems.append(f"self-closing <{tag}/>")
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_TAGS:
            return
        if not self.open_tags or self.open_tags[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.open_tags[-1:] or 'nothing'}")
            return
        self.open_tags.pop()

    def handle_comment(self, data: str) -> None:
        self.problems.append(f"comment <!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self.problems.append(f"declaration <!{decl}>")

    def unknown_decl(self, data: str) -> None:
        self.problems.append(f"declaration <![{data}]>")

    def handle_pi(self, data: str) -> None:
        self.problems.append(f"processing instruction <?{data}>")

    def _check_link(self, attrs: list[tuple[str, str | None]]) -> None:
        names = [name for name, _ in attrs]
        if sorted(names) != ["href", "rel"]:
            self.problems.append(f"<a> attributes {names}, expected href and rel only")
        values = dict(attrs)
        if values.get("rel") != REL:
            self.problems.append(f"<a rel={values.get('rel')!r}>")
        href = values.get("href")
        if href is None:
            return
        scheme = _scheme_as_browser_reads_it(href)
        if scheme not in ALLOWED_SCHEMES:
            self.problems.append(f"href {href!r} has scheme {scheme!r}")
        if scheme in ("http", "https") and not urlsplit(href).netloc:
            self.problems.append(f"href {href!r} has no host")


def assert_safe_comment_html(html: str) -> None:
    """Fail unless html holds only allow-listed, balanced elements and safe links."""
    audit = _Audit()
    audit.feed(html)
    audit.close()
    problems = audit.problems + [f"<{tag}> left open" for tag in audit.open_tags]
    assert not problems, f"{html!r}: {problems}"


# --- The audit itself must catch what it is meant to catch ---------------------------


@pytest.mark.parametrize(
    "bad_html",
    [
        pytest.param("<script>alert(1)</script>", id="script"),
        pytest.param("<img src=x>", id="img"),
        pytest.param('<p class="x">a</p>', id="class-attribute"),
        pytest.param('<a href="http://ok.example">x</a>', id="link-without-rel"),
        pytest.param(f'<a href="javascript:alert(1)" rel="{REL}">x</a>', id="javascript-href"),
        pytest.param(f'<a href="java\tscript:alert(1)" rel="{REL}">x</a>', id="tab-split-href"),
        pytest.param(f'<a href="//evil.example" rel="{REL}">x</a>', id="protocol-relative"),
        pytest.param(f'<a href="/relative" rel="{REL}">x</a>', id="relative-href"),
        pytest.param(f'<a href="http://ok.example" rel="{REL}" target="_blank">x</a>', id="target"),
        pytest.param(f'<a href="http://ok.example" rel="{REL}" onclick="x">x</a>', id="onclick"),
        pytest.param("<!-- hidden -->", id="comment"),
        pytest.param("<![CDATA[x]]>", id="cdata"),
        pytest.param("<blockquote>left open", id="unclosed"),
        pytest.param("<p/>x", id="self-closed-non-void"),
        pytest.param("</div>", id="stray-end-tag"),
    ],
)
def test_audit_rejects_html_outside_the_allow_list(bad_html: str) -> None:
    with pytest.raises(AssertionError):
        assert_safe_comment_html(bad_html)


def test_audit_accepts_every_allowed_construct() -> None:
    assert_safe_comment_html(
        f'<p><em>a</em><strong>b</strong><code>c</code><br><a href="https://ok.example" '
        f'rel="{REL}">d</a><a href="mailto:a@ok.example" rel="{REL}">e</a></p>'
        "<pre><code>f</code></pre><blockquote><ul><li>g</li></ul><ol><li>h</li></ol>"
        "</blockquote>"
    )


# --- Allowed constructs survive --------------------------------------------------------


def _link(href: str, text: str) -> str:
    return f'<a href="{href}" rel="{REL}">{text}</a>'


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        pytest.param("plain text", "<p>plain text</p>", id="paragraph"),
        pytest.param("*one* _two_", "<p><em>one</em> <em>two</em></p>", id="emphasis"),
        pytest.param(
            "**one** __two__", "<p><strong>one</strong> <strong>two</strong></p>", id="strong"
        ),
        pytest.param("***both***", "<p><em><strong>both</strong></em></p>", id="em-strong"),
        pytest.param(
            "use `a < b` here", "<p>use <code>a &lt; b</code> here</p>", id="inline-code-escaped"
        ),
        pytest.param(
            "```python\nif a < b:\n    print('<b>')\n```",
            "<pre><code>if a &lt; b:\n    print('&lt;b&gt;')\n</code></pre>",
            id="fenced-code-language-class-dropped",
        ),
        pytest.param(
            "    indented()\n", "<pre><code>indented()\n</code></pre>", id="indented-code"
        ),
        pytest.param("> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>", id="blockquote"),
        pytest.param(
            "> outer\n>> inner",
            "<blockquote>\n<p>outer</p>\n<blockquote>\n<p>inner</p>\n</blockquote>\n</blockquote>",
            id="nested-blockquote",
        ),
        pytest.param("- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>", id="bullet-list"),
        pytest.param("1. a\n2. b", "<ol>\n<li>a</li>\n<li>b</li>\n</ol>", id="ordered-list"),
        pytest.param(
            "3. c\n4. d",
            "<ol>\n<li>c</li>\n<li>d</li>\n</ol>",
            id="ordered-list-start-attribute-dropped",
        ),
        pytest.param(
            "- a\n  1. b\n  2. c\n- d",
            "<ul>\n<li>a\n<ol>\n<li>b</li>\n<li>c</li>\n</ol>\n</li>\n<li>d</li>\n</ul>",
            id="nested-lists",
        ),
        pytest.param("line one\nline two", "<p>line one<br>\nline two</p>", id="newline-is-br"),
        pytest.param("one\n\ntwo", "<p>one</p>\n<p>two</p>", id="blank-line-is-paragraph"),
        pytest.param(
            "[text](https://ok.example/a?b=1&c=2)",
            f"<p>{_link('https://ok.example/a?b=1&amp;c=2', 'text')}</p>",
            id="markdown-link",
        ),
        pytest.param(
            '[text](http://ok.example "a title")',
            f"<p>{_link('http://ok.example', 'text')}</p>",
            id="link-title-dropped",
        ),
        pytest.param(
            "[*em* text](http://ok.example)",
            f"<p>{_link('http://ok.example', '<em>em</em> text')}</p>",
            id="link-with-emphasis",
        ),
        pytest.param(
            "[ref][1]\n\n[1]: https://ok.example/r",
            f"<p>{_link('https://ok.example/r', 'ref')}</p>",
            id="reference-link",
        ),
        pytest.param(
            "<https://ok.example/x>",
            f"<p>{_link('https://ok.example/x', 'https://ok.example/x')}</p>",
            id="autolink",
        ),
        pytest.param(
            "<someone@ok.example>",
            f"<p>{_link('mailto:someone@ok.example', 'someone@ok.example')}</p>",
            id="email-autolink-gets-rel-too",
        ),
        pytest.param(
            "[mail](mailto:someone@ok.example)",
            f"<p>{_link('mailto:someone@ok.example', 'mail')}</p>",
            id="mailto-link",
        ),
        pytest.param("a &amp; b &copy; &#x263A;", "<p>a &amp; b © ☺</p>", id="entities"),
        pytest.param("5 > 3 & 2 < 4", "<p>5 &gt; 3 &amp; 2 &lt; 4</p>", id="specials-escaped"),
    ],
)
def test_allowed_construct_survives(markdown: str, expected: str) -> None:
    html = render(markdown)
    assert html == expected
    assert_safe_comment_html(html)


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        pytest.param("# Title", "<p># Title</p>", id="atx-heading"),
        pytest.param("Title\n=====", "<p>Title<br>\n=====</p>", id="setext-heading"),
        pytest.param("---", "<p>---</p>", id="thematic-break"),
        pytest.param(
            "![alt](http://ok.example/a.png)",
            f"<p>!{_link('http://ok.example/a.png', 'alt')}</p>",
            id="image",
        ),
        pytest.param(
            "| a | b |\n|---|---|\n| 1 | 2 |",
            "<p>| a | b |<br>\n|---|---|<br>\n| 1 | 2 |</p>",
            id="table",
        ),
        pytest.param("~~gone~~", "<p>~~gone~~</p>", id="strikethrough"),
    ],
)
def test_disabled_markdown_feature_stays_readable_text(markdown: str, expected: str) -> None:
    assert render(markdown) == expected


@pytest.mark.parametrize("blank", ["", " ", "\n\n", "\t \n  \r\n", "\u3000"])
def test_blank_input_renders_empty(blank: str) -> None:
    assert render(blank) == ""


def test_reference_definition_alone_renders_empty() -> None:
    assert render("[1]: https://ok.example") == ""


# --- Hostile input ---------------------------------------------------------------------

JS = "javascript:alert(1)"
HOSTILE = [
    # Raw HTML typed by a reader.
    pytest.param("<script>alert(1)</script>", id="script"),
    pytest.param("<SCRIPT SRC=http://xss.example/xss.js></SCRIPT>", id="script-src-upper"),
    pytest.param("<script/src=data:,alert(1)>", id="script-slash-src"),
    pytest.param('<<script>alert("x");//<</script>', id="script-double-open"),
    pytest.param("<scr<script>ipt>alert(1)</scr</script>ipt>", id="script-nested-split"),
    pytest.param("<script>alert(1)", id="script-unclosed"),
    pytest.param("<img src=x onerror=alert(1)>", id="img-onerror"),
    pytest.param(
        '<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>', id="img-onerror-upper"
    ),
    pytest.param('<IMG """><SCRIPT>alert("XSS")</SCRIPT>">', id="img-malformed-quotes"),
    pytest.param("<img src=`x` onerror=`alert(1)`>", id="img-backtick-attributes"),
    pytest.param("<img src=x:alert(alt) onerror=eval(src) alt=0>", id="img-eval-src"),
    pytest.param("<svg onload=alert(1)>", id="svg-onload"),
    pytest.param("<svg/onload=alert(1)//", id="svg-slash-onload-unclosed"),
    pytest.param(
        '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>', id="svg-xlink-href"
    ),
    pytest.param("<svg><animate onbegin=alert(1) attributeName=x dur=1s>", id="svg-animate"),
    pytest.param(
        "<svg><p><style><img src=x onerror=alert(1)></style></p></svg>",
        id="svg-style-namespace-confusion",
    ),
    pytest.param(
        "<svg><style>&lt;img src=x onerror=alert(1)&gt;</style></svg>", id="svg-style-entities"
    ),
    pytest.param(
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", id="math-mglyph-style"
    ),
    pytest.param('<math><mi xlink:href="javascript:alert(1)">x</mi></math>', id="math-xlink-href"),
    pytest.param(
        "<math><mtext><option><FAKEFAKE><option></option><mglyph><svg><mtext><textarea>"
        '<a title="</textarea><img src=x onerror=alert(1)>">',
        id="math-svg-textarea-mutation",
    ),
    pytest.param(
        "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
        id="math-form-mutation",
    ),
    pytest.param(
        '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
        id="noscript-title-mutation",
    ),
    pytest.param('<iframe src="javascript:alert(1)"></iframe>', id="iframe-javascript"),
    pytest.param(
        '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>', id="iframe-srcdoc"
    ),
    pytest.param(
        '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">',
        id="object-data",
    ),
    pytest.param('<embed src="javascript:alert(1)">', id="embed"),
    pytest.param('<style>body{background:url("javascript:alert(1)")}</style>', id="style-tag"),
    pytest.param('<p style="background:url(javascript:alert(1))">x</p>', id="style-attribute"),
    pytest.param('<div style="width: expression(alert(1));">x</div>', id="css-expression"),
    pytest.param(
        '<p class="x" id="y" title="z" onmouseover="alert(1)">x</p>', id="p-with-attributes"
    ),
    pytest.param("<body onload=alert(1)>", id="body-onload"),
    pytest.param(
        '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">', id="meta-refresh"
    ),
    pytest.param('<base href="javascript:alert(1)//">', id="base-href"),
    pytest.param('<link rel="stylesheet" href="javascript:alert(1)">', id="link-stylesheet"),
    pytest.param(
        "<form><button formaction=javascript:alert(1)>x</button></form>", id="button-formaction"
    ),
    pytest.param("<input onfocus=alert(1) autofocus>", id="input-autofocus"),
    pytest.param("<details open ontoggle=alert(1)>", id="details-ontoggle"),
    pytest.param("<template><script>alert(1)</script></template>", id="template"),
    pytest.param("<xmp><script>alert(1)</script></xmp>", id="xmp"),
    pytest.param("<textarea><script>alert(1)</script></textarea>", id="textarea"),
    pytest.param("<title><script>alert(1)</script></title>", id="title"),
    pytest.param("<plaintext><script>alert(1)", id="plaintext"),
    pytest.param("<table background=javascript:alert(1)>", id="table-background"),
    pytest.param("<marquee onstart=alert(1)>x</marquee>", id="marquee"),
    pytest.param("<video><source onerror=alert(1)>", id="video-source"),
    pytest.param("<h1>big</h1><hr><img src=x>", id="disallowed-harmless-tags"),
    pytest.param("<!-- <script>alert(1)</script> -->", id="html-comment"),
    pytest.param("<!--[if IE]><script>alert(1)</script><![endif]-->", id="conditional-comment"),
    pytest.param("<!--><script>alert(1)</script>-->", id="comment-abrupt-close"),
    pytest.param("<!-- unterminated <script>alert(1)</script>", id="comment-unterminated"),
    pytest.param("<![CDATA[<script>alert(1)</script>]]>", id="cdata"),
    pytest.param('<?xml version="1.0"?><script>alert(1)</script>', id="processing-instruction"),
    pytest.param("<!DOCTYPE html><script>alert(1)</script>", id="doctype"),
    pytest.param("<p><em><strong><blockquote><ul><li>x", id="unclosed-allowed-tags"),
    pytest.param("</p></blockquote></ul></div></body></html>x", id="stray-end-tags"),
    pytest.param("<p>a</em>b</strong>c</code>", id="mismatched-end-tags"),
    pytest.param("<a href=x><a href=y>nested</a></a>", id="nested-anchors"),
    # Links in raw HTML.
    pytest.param(f'<a href="{JS}">x</a>', id="raw-a-javascript"),
    pytest.param('<a href="JaVaScRiPt:alert(1)">x</a>', id="raw-a-mixed-case"),
    pytest.param(
        '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
        id="raw-a-decimal-entities",
    ),
    pytest.param(
        '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105'
        '&#0000112&#0000116&#0000058alert(1)">x</a>',
        id="raw-a-padded-entities-no-semicolons",
    ),
    pytest.param(
        '<a href="&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A;alert(1)">x</a>',
        id="raw-a-hex-entities-no-semicolons",
    ),
    pytest.param('<a href="javascript&colon;alert(1)">x</a>', id="raw-a-named-colon"),
    pytest.param('<a href="jav\tascript:alert(1)">x</a>', id="raw-a-literal-tab"),
    pytest.param('<a href="jav&#x09;ascript:alert(1)">x</a>', id="raw-a-tab-entity"),
    pytest.param('<a href="jav&#x0A;ascript:alert(1)">x</a>', id="raw-a-newline-entity"),
    pytest.param('<a href="jav&#x0D;ascript:alert(1)">x</a>', id="raw-a-cr-entity"),
    pytest.param('<a href="jav&NewLine;ascript:alert(1)">x</a>', id="raw-a-named-newline"),
    pytest.param('<a href=" &#14;  javascript:alert(1)">x</a>', id="raw-a-leading-control"),
    pytest.param('<a href="\x00javascript:alert(1)">x</a>', id="raw-a-leading-null"),
    pytest.param('<a href="java\x00script:alert(1)">x</a>', id="raw-a-embedded-null"),
    pytest.param(
        '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
        id="raw-a-data",
    ),
    pytest.param('<a href="vbscript:msgbox(1)">x</a>', id="raw-a-vbscript"),
    pytest.param('<a href="//evil.example">x</a>', id="raw-a-protocol-relative"),
    pytest.param('<a href="/\\evil.example">x</a>', id="raw-a-slash-backslash"),
    pytest.param('<a href="http:evil.example">x</a>', id="raw-a-http-without-slashes"),
    pytest.param(
        '<a href="http://ok.example" target="_blank" rel="opener" '
        'onclick="alert(1)" class="c" style="color:red" title="t">x</a>',
        id="raw-a-extra-attributes",
    ),
    pytest.param(
        '<a href="http://ok.example/"onmouseover="alert(1)">x</a>', id="raw-a-quote-breakout"
    ),
    pytest.param(
        "<a href='http://ok.example/'onmouseover='alert(1)'>x</a>", id="raw-a-single-quote-breakout"
    ),
    pytest.param('<a href="http://ok.example', id="raw-a-unterminated"),
    pytest.param('"><script>alert(1)</script>', id="attribute-breakout-double"),
    pytest.param("'><script>alert(1)</script>", id="attribute-breakout-single"),
    # Markdown links.
    pytest.param(f"[x]({JS})", id="md-link-javascript"),
    pytest.param("[x](JaVaScRiPt:alert(1))", id="md-link-mixed-case"),
    pytest.param("[x](&#106;avascript:alert(1))", id="md-link-decimal-entity"),
    pytest.param(
        "[x](&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1))",
        id="md-link-hex-entities",
    ),
    pytest.param("[x](javascript&colon;alert(1))", id="md-link-named-colon"),
    pytest.param("[x](java\tscript:alert(1))", id="md-link-tab"),
    pytest.param("[x](<java\nscript:alert(1)>)", id="md-link-newline-in-brackets"),
    pytest.param("[x](<java\tscript:alert(1)>)", id="md-link-tab-in-brackets"),
    pytest.param("[x](java&#9;script:alert(1))", id="md-link-tab-entity"),
    pytest.param("[x](java&#10;script:alert(1))", id="md-link-newline-entity"),
    pytest.param("[x](&#1;javascript:alert(1))", id="md-link-leading-control-entity"),
    pytest.param("[x](\x00javascript:alert(1))", id="md-link-leading-null"),
    pytest.param("[x](java\x00script:alert(1))", id="md-link-embedded-null"),
    pytest.param("[x](%20javascript:alert(1))", id="md-link-percent-space"),
    pytest.param("[x](javascript%3Aalert(1))", id="md-link-percent-colon"),
    pytest.param("[x](<javascript:alert(1)>)", id="md-link-angle-destination"),
    pytest.param(
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", id="md-link-data"
    ),
    pytest.param("[x](data:image/png;base64,iVBORw0KGgo=)", id="md-link-data-image"),
    pytest.param("[x](vbscript:msgbox(1))", id="md-link-vbscript"),
    pytest.param("[x](file:///etc/passwd)", id="md-link-file"),
    pytest.param("[x](//evil.example)", id="md-link-protocol-relative"),
    pytest.param("[x](\\\\evil.example)", id="md-link-backslashes"),
    pytest.param("[x](/\\evil.example)", id="md-link-slash-backslash"),
    pytest.param("[x](http:evil.example)", id="md-link-http-without-slashes"),
    pytest.param("[x](/relative/path)", id="md-link-relative"),
    pytest.param("[x](#fragment)", id="md-link-fragment"),
    pytest.param(f"<{JS}>", id="md-autolink-javascript"),
    pytest.param("<JAVASCRIPT:alert(1)>", id="md-autolink-upper"),
    pytest.param("<data:text/html,<script>alert(1)</script>>", id="md-autolink-data"),
    pytest.param("<vbscript:msgbox(1)>", id="md-autolink-vbscript"),
    pytest.param(f"[x][r]\n\n[r]: {JS}", id="md-reference-javascript"),
    pytest.param(f'[x][r]\n\n[r]: {JS} "title"', id="md-reference-javascript-title"),
    pytest.param("[x]\n\n[x]: &#106;avascript:alert(1)", id="md-reference-shortcut-entity"),
    pytest.param(f"![x]({JS})", id="md-image-javascript"),
    pytest.param('![x" onerror="alert(1)](http://ok.example/a.png)', id="md-image-alt-breakout"),
    pytest.param(
        '[x](http://ok.example "a\\" onmouseover=\\"alert(1)")', id="md-title-double-quote-breakout"
    ),
    pytest.param(
        "[x](http://ok.example 'a' onmouseover='alert(1)')", id="md-title-single-quote-breakout"
    ),
    pytest.param('[x](http://ok.example (" onmouseover="alert(1)))', id="md-title-paren-breakout"),
    pytest.param('[x](http://ok.example/"onmouseover="alert(1))', id="md-url-quote-breakout"),
    pytest.param('[x"><script>alert(1)</script>](http://ok.example)', id="md-text-breakout"),
    pytest.param('<http://ok.example/"onmouseover="alert(1)>', id="md-autolink-quote-breakout"),
    pytest.param('```"><script>alert(1)</script>\nx\n```', id="md-fence-info-breakout"),
    pytest.param('```js" onmouseover="alert(1)\nx\n```', id="md-fence-info-attribute"),
    pytest.param("`<script>alert(1)</script>`", id="md-inline-code-script"),
    pytest.param("&lt;script&gt;alert(1)&lt;/script&gt;", id="md-entity-encoded-script"),
    pytest.param("\\<script>alert(1)\\</script>", id="md-escaped-script"),
    pytest.param("*<img src=x onerror=alert(1)>*", id="md-emphasis-around-img"),
    pytest.param(
        "> <script>alert(1)</script>\n- <svg onload=alert(1)>", id="md-blocks-around-html"
    ),
    # Bare-URL linkification.
    pytest.param('http://ok.example/"onmouseover="alert(1)', id="bare-url-quote-breakout"),
    pytest.param("http://ok.example/<script>alert(1)</script>", id="bare-url-script"),
    pytest.param("javascript://www.ok.example/%0aalert(1)", id="bare-javascript-comment-url"),
    pytest.param(
        "ftp://ok.example data://ok.example vbscript://ok.example", id="bare-other-schemes"
    ),
    pytest.param("www.ok.example/javascript:alert(1)", id="bare-www-javascript-path"),
    pytest.param("http://ok.example@evil.example/", id="bare-url-userinfo"),
    # Control and invisible characters.
    pytest.param("<scr\x00ipt>alert(1)</scr\x00ipt>", id="null-in-tag-name"),
    pytest.param("a\x00b\x01c\x08d\x0be\x0cf\x1bg\x7fh", id="control-characters"),
    pytest.param("\u202egpj.exe", id="rtl-override-text"),
    pytest.param("[\u202eexe.gpj](http://ok.example/\u202e)", id="rtl-override-link"),
    pytest.param("www.ok.example/\u202egpj.exe", id="rtl-override-bare-url"),
    pytest.param("\u2066\u2067\u2068x\u2069\u202a\u202b\u202c\u202d", id="bidi-isolates"),
    pytest.param("\ufeff\u200b\u200d<script>\u200balert(1)</script>", id="zero-width"),
    # Size.
    pytest.param("a" * 50_000, id="long-word"),
    pytest.param("<" * 10_000, id="many-lt"),
    pytest.param("(" * 10_000, id="many-open-parens"),
    pytest.param("[x](" + "(" * 5_000, id="unclosed-link-parens"),
    pytest.param("[" * 5_000 + "x" + "]" * 5_000, id="many-brackets"),
    pytest.param("*" * 10_000, id="many-asterisks"),
    pytest.param("> " * 1_000 + "x", id="deep-blockquote"),
    pytest.param("- " * 1_000 + "x", id="deep-list"),
    pytest.param("a-" * 5_000, id="many-hyphenated-words"),
    pytest.param("<script>alert(1)</script>" * 500, id="many-scripts"),
    pytest.param(f"[x]({JS}) " * 500, id="many-javascript-links"),
    pytest.param("http://ok.example/ " * 500, id="many-bare-urls"),
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_render_of_hostile_input_stays_in_allow_list(hostile: str) -> None:
    assert_safe_comment_html(render(hostile))


@pytest.mark.parametrize("hostile", HOSTILE)
def test_clean_of_hostile_html_stays_in_allow_list(hostile: str) -> None:
    assert_safe_comment_html(clean(hostile))


@pytest.mark.parametrize("hostile", HOSTILE)
def test_render_output_is_unchanged_by_cleaning_again(hostile: str) -> None:
    html = render(hostile)
    assert clean(html) == html


@pytest.mark.parametrize("hostile", HOSTILE)
def test_clean_is_idempotent(hostile: str) -> None:
    once = clean(hostile)
    assert clean(once) == once


@pytest.mark.parametrize("hostile", HOSTILE)
def test_rendered_output_has_no_control_or_bidi_characters(hostile: str) -> None:
    html = render(hostile)
    assert not (set(html) & (CONTROL_CHARACTERS | BIDI_CONTROLS)), repr(html)


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        pytest.param(
            "<script>alert(1)</script>",
            "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>",
            id="script-shown-as-text",
        ),
        pytest.param(
            "<img src=x onerror=alert(1)>",
            "<p>&lt;img src=x onerror=alert(1)&gt;</p>",
            id="img-shown-as-text",
        ),
        pytest.param(
            '<a href="http://ok.example">x</a>',
            "<p>&lt;a href=&quot;"
            f"{_link('http://ok.example', 'http://ok.example')}&quot;&gt;x&lt;/a&gt;</p>",
            id="raw-anchor-shown-as-text-its-url-linkified",
        ),
        pytest.param("<!-- hidden -->", "<p>&lt;!-- hidden --&gt;</p>", id="comment-shown-as-text"),
        pytest.param(f"[x]({JS})", f"<p>[x]({JS})</p>", id="javascript-link-left-as-source"),
        pytest.param(f"<{JS}>", f"<p>&lt;{JS}&gt;</p>", id="javascript-autolink-left-as-source"),
        pytest.param(
            "[x](//evil.example)",
            "<p>[x](//evil.example)</p>",
            id="protocol-relative-left-as-source",
        ),
        pytest.param(
            f"[x][r]\n\n[r]: {JS}",
            f"<p>[x][r]</p>\n<p>[r]: {JS}</p>",
            id="javascript-reference-left-as-source",
        ),
        pytest.param(
            '[x](http://ok.example "t\\" onmouseover=\\"alert(1)")',
            f"<p>{_link('http://ok.example', 'x')}</p>",
            id="title-breakout-dropped",
        ),
        pytest.param(
            '```js" onmouseover="alert(1)\nx\n```',
            "<pre><code>x\n</code></pre>",
            id="fence-info-dropped",
        ),
        pytest.param("\u202egpj.exe", "<p>gpj.exe</p>", id="rtl-override-removed"),
        pytest.param("a\x00b", "<p>a\ufffdb</p>", id="null-becomes-replacement-character"),
    ],
)
def test_hostile_markdown_renders_exactly(markdown: str, expected: str) -> None:
    assert render(markdown) == expected


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        pytest.param(f'<a href="{JS}">x</a>', "x", id="javascript-link-becomes-text"),
        pytest.param('<a href="/relative">x</a>', "x", id="relative-link-becomes-text"),
        pytest.param("<a>x</a>", "x", id="link-without-href-becomes-text"),
        pytest.param(
            '<a href="http://ok.example" target="_blank" onclick="alert(1)">x</a>',
            _link("http://ok.example", "x"),
            id="link-keeps-only-href-and-gets-rel",
        ),
        pytest.param(
            '<a href="http://ok.example" rel="opener">x</a>',
            _link("http://ok.example", "x"),
            id="rel-is-replaced-not-merged",
        ),
        pytest.param(
            "<p onclick=alert(1)><b>bold</b> <i>it</i></p>",
            "<p>bold it</p>",
            id="disallowed-tags-stripped-text-kept",
        ),
        pytest.param("<p>a<!-- secret -->b</p>", "<p>ab</p>", id="comment-removed"),
        pytest.param("<script>alert(1)</script>", "alert(1)", id="script-content-is-inert-text"),
        pytest.param("<p>\u202egpj.exe\u2069</p>", "<p>gpj.exe</p>", id="bidi-controls-removed"),
        pytest.param(
            "<p>1 &lt; 2 &amp;&amp; <em>x</em></p>",
            "<p>1 &lt; 2 &amp;&amp; <em>x</em></p>",
            id="escaped-text-stays-escaped",
        ),
    ],
)
def test_clean_of_raw_html_gives_exactly(html: str, expected: str) -> None:
    assert clean(html) == expected


def test_long_input_keeps_all_its_text() -> None:
    words = " ".join(f"w{i}" for i in range(20_000))
    assert render(words) == f"<p>{words}</p>"


def test_render_is_consistent_across_threads() -> None:
    # The app serves requests on several threads; a parser shared between them mixes
    # one comment's text into another's HTML. Frequent thread switches make a race show.
    inputs = [param.values[0] for param in HOSTILE if len(param.values[0]) < 1_000] * 4
    expected = [render(markdown) for markdown in inputs]
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            rendered = list(pool.map(render, inputs))
    finally:
        sys.setswitchinterval(switch_interval)
    assert rendered == expected


# --- Bare URLs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        pytest.param(
            "see http://ok.example/a?b=1 now",
            f"<p>see {_link('http://ok.example/a?b=1', 'http://ok.example/a?b=1')} now</p>",
            id="http",
        ),
        pytest.param(
            "https://ok.example",
            f"<p>{_link('https://ok.example', 'https://ok.example')}</p>",
            id="https",
        ),
        pytest.param(
            "www.ok.example/page",
            f"<p>{_link('http://www.ok.example/page', 'www.ok.example/page')}</p>",
            id="www-gets-http",
        ),
        pytest.param(
            "https://ok.dev/x",
            f"<p>{_link('https://ok.dev/x', 'https://ok.dev/x')}</p>",
            id="new-gtld",
        ),
        pytest.param(
            "https://ok.example/?a=1&b=2",
            f"<p>{_link('https://ok.example/?a=1&amp;b=2', 'https://ok.example/?a=1&amp;b=2')}</p>",
            id="ampersand-in-query",
        ),
        pytest.param(
            "(see https://ok.example)",
            f"<p>(see {_link('https://ok.example', 'https://ok.example')})</p>",
            id="surrounding-parentheses-excluded",
        ),
        pytest.param(
            "go to https://ok.example/a.",
            f"<p>go to {_link('https://ok.example/a', 'https://ok.example/a')}.</p>",
            id="trailing-period-excluded",
        ),
        pytest.param(
            "https://ok.example, then",
            f"<p>{_link('https://ok.example', 'https://ok.example')}, then</p>",
            id="trailing-comma-excluded",
        ),
        pytest.param(
            "*https://ok.example*",
            f"<p><em>{_link('https://ok.example', 'https://ok.example')}</em></p>",
            id="inside-emphasis",
        ),
        pytest.param(
            "- https://ok.example",
            f"<ul>\n<li>{_link('https://ok.example', 'https://ok.example')}</li>\n</ul>",
            id="inside-list",
        ),
        pytest.param(
            "> https://ok.example",
            f"<blockquote>\n<p>{_link('https://ok.example', 'https://ok.example')}</p>\n"
            "</blockquote>",
            id="inside-blockquote",
        ),
    ],
)
def test_bare_url_is_linkified_with_rel(markdown: str, expected: str) -> None:
    assert render(markdown) == expected


@pytest.mark.parametrize(
    "markdown",
    [
        pytest.param("`https://ok.example`", id="inline-code"),
        pytest.param("```\nhttps://ok.example\nwww.ok.example\n```", id="fenced-code"),
        pytest.param("    https://ok.example", id="indented-code"),
        pytest.param("ok.example and sanitize.py", id="bare-domain-and-filename"),
        pytest.param("ftp://ok.example/file", id="ftp"),
        pytest.param("someone@ok.example", id="bare-email"),
        pytest.param("xhttp://ok.example", id="scheme-inside-word"),
        pytest.param("http://localhost:8080/", id="no-tld"),
    ],
)
def test_text_is_not_linkified(markdown: str) -> None:
    assert count_links(render(markdown)) == 0


def test_url_in_code_stays_code_text() -> None:
    assert render("`https://ok.example`") == "<p><code>https://ok.example</code></p>"


def test_url_as_link_text_is_not_linkified_again() -> None:
    assert render("[https://shown.example](https://real.example)") == (
        f"<p>{_link('https://real.example', 'https://shown.example')}</p>"
    )


# --- to_text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        pytest.param("one\n\ntwo", "one\n\ntwo", id="paragraphs-blank-line"),
        pytest.param("one\ntwo", "one\ntwo", id="br-newline"),
        pytest.param("- a\n- b\n\nafter", "- a\n- b\n\nafter", id="bullet-items"),
        pytest.param("1. a\n2. b", "1. a\n2. b", id="ordered-items"),
        pytest.param("- a\n  - b\n  - c\n- d", "- a\n  - b\n  - c\n- d", id="nested-items"),
        pytest.param("*em* **strong** `code`", "em strong code", id="inline-tags-removed"),
        pytest.param("a < b & \"c\" 'd'", "a < b & \"c\" 'd'", id="entities-unescaped"),
        pytest.param("<b>not bold</b>", "<b>not bold</b>", id="typed-markup-is-literal-text"),
        pytest.param(
            "[docs](https://ok.example/docs)",
            "docs (https://ok.example/docs)",
            id="link-text-differs",
        ),
        pytest.param("see https://ok.example", "see https://ok.example", id="link-text-is-url"),
        pytest.param("www.ok.example", "www.ok.example", id="www-link-not-repeated"),
        pytest.param("<someone@ok.example>", "someone@ok.example", id="email-not-repeated"),
        pytest.param("> quoted\n> more\n\nreply", "> quoted\n> more\n\nreply", id="quote-prefixed"),
        pytest.param(
            "```\nif x:\n    y()\n```\nafter", "if x:\n    y()\n\nafter", id="code-indentation-kept"
        ),
        pytest.param("", "", id="empty"),
    ],
)
def test_to_text_of_rendered_markdown(markdown: str, expected: str) -> None:
    assert to_text(render(markdown)) == expected


def test_to_text_returns_plain_str() -> None:
    assert type(to_text(render("<i>x</i>"))) is str


def test_to_text_drops_script_and_style_contents() -> None:
    assert to_text("<p>a</p><script>alert(1)</script><style>p{}</style><p>b</p>") == "a\n\nb"


@pytest.mark.parametrize("hostile", HOSTILE)
def test_to_text_of_hostile_render_keeps_only_the_readers_angle_brackets(hostile: str) -> None:
    html = render(hostile)
    # Tags are dropped; each "<" left is one the reader typed (escaped as &lt; in the HTML).
    assert to_text(html).count("<") == html.count("&lt;")


# --- count_links -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        pytest.param("", 0, id="empty"),
        pytest.param("no links here", 0, id="no-links"),
        pytest.param("[a](https://ok.example)", 1, id="markdown-link"),
        pytest.param(
            "[a](https://ok.example) https://two.example <https://three.example> "
            "www.four.example <five@ok.example>",
            5,
            id="every-kind",
        ),
        pytest.param("[a](https://ok.example) [a](https://ok.example)", 2, id="repeats-counted"),
        pytest.param(f"[x]({JS}) <{JS}>", 0, id="refused-links"),
        pytest.param('<a href="https://ok.example">raw</a>', 1, id="raw-html-only-its-url-counts"),
        pytest.param("`https://ok.example`", 0, id="link-in-code"),
    ],
)
def test_count_links_of_rendered_markdown(markdown: str, expected: int) -> None:
    assert count_links(render(markdown)) == expected


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        pytest.param("<a>no href</a>", 0, id="anchor-without-href"),
        pytest.param(
            '<a href="https://ok.example">x</a><p><a href="mailto:a@b.example">y</a></p>',
            2,
            id="links-in-blocks",
        ),
    ],
)
def test_count_links_counts_anchors_with_href(html: str, expected: int) -> None:
    assert count_links(html) == expected


class _ReferenceLinkCounter(HTMLParser):
    """Counts ``<a>`` start tags with an href as a browser-grade parser reads them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.count = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a" and any(name == "href" for name, _ in attrs):
            self.count += 1


def _parsed_link_count(html: str) -> int:
    counter = _ReferenceLinkCounter()
    counter.feed(html)
    counter.close()
    return counter.count


LINKISH = [
    pytest.param("[a](https://ok.example) [b](https://ok.example/?q=<a href=\"x\">)", id="md"),
    pytest.param('[a](<https://ok.example/a b> "t <a href=\'x\'>")', id="md-title-with-tag"),
    pytest.param("<https://ok.example/>> <mailto:a@ok.example> www.ok.example/<a", id="auto"),
    pytest.param('<a rel="x" href="https://ok.example">rel first</a>', id="rel-first"),
    pytest.param("<A HREF=https://ok.example>upper</A><a\thref='https://ok.example'>t</a>",
                 id="upper-and-tab"),
    pytest.param('<a title="<a href=&quot;https://ok.example&quot;>">x</a>', id="tag-in-title"),
    pytest.param('<a href="javascript:alert(1)">js</a><a href>empty</a><a>none</a>',
                 id="refused-and-empty"),
    pytest.param('<p>&lt;a href="https://ok.example"&gt;</p><!-- <a href="x"> -->',
                 id="escaped-and-comment"),
    pytest.param('<pre><a href="https://ok.example">in pre</a> https://ok.example</pre>'
                 '<code><a href="https://ok.example">c</a></code>', id="in-pre-and-code"),
    pytest.param('<a href="https://ok.example"><a href="https://two.example">nested</a></a>',
                 id="nested"),
    pytest.param('<svg><a href="https://ok.example">svg</a></svg><a href="https://ok.example"'
                 ' href="https://two.example">twice</a>', id="svg-and-duplicate-href"),
]


@pytest.mark.parametrize("source", [*HOSTILE, *LINKISH])
def test_count_links_agrees_with_a_parser_on_sanitized_html(source: str) -> None:
    for html in (render(source), clean(source)):
        assert count_links(html) == _parsed_link_count(html), html
