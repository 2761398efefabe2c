"""web.py: the widget's files as any page loads them, and the /demo article page."""

from __future__ import annotations

import gzip
import re
from html.parser import HTMLParser

from flask.testing import FlaskClient

from comments_service.web import minified
from comments_service.widget.parts import assembled

BUDGET_GZIP_BYTES = 20 * 1024


def test_embed_script_is_served_to_any_page_with_a_content_etag(client: FlaskClient) -> None:
    response = client.get("/embed.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["ETag"]
    assert response.data == minified("embed.js", assembled("embed.js"))


def test_widget_files_are_served_minified(client: FlaskClient) -> None:
    """Comments and indentation of the sources are not sent; the code itself is."""
    for name in ("embed.js", "embed.css"):
        source = assembled(name).encode()
        served = client.get(f"/{name}").data
        assert len(served) < len(source) * 0.9, name
        assert b"\n    " not in served, name
    assert b"attachShadow" in client.get("/embed.js").data


def test_embed_script_revalidates_to_304(client: FlaskClient) -> None:
    etag = client.get("/embed.js").headers["ETag"]
    again = client.get("/embed.js", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["Access-Control-Allow-Origin"] == "*"


def test_js_path_is_an_alias_of_the_script(client: FlaskClient) -> None:
    assert client.get("/js/embed.js").data == client.get("/embed.js").data


def test_embed_stylesheet_is_served_as_css_to_any_page(client: FlaskClient) -> None:
    response = client.get("/embed.css")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/css; charset=utf-8"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["ETag"] != client.get("/embed.js").headers["ETag"]


def test_widget_cache_lifetime_comes_from_config(make_app) -> None:
    app = make_app(widget={"max_age_seconds": 60})
    response = app.test_client().get("/embed.css")
    assert response.headers["Cache-Control"] == "public, max-age=60"


def test_script_and_stylesheet_fit_in_20_kb_gzipped(client: FlaskClient) -> None:
    """What a page downloads (the served, minified files), gzipped, fits the budget."""
    sizes = {
        name: len(gzip.compress(client.get(f"/{name}").data, compresslevel=9))
        for name in ("embed.js", "embed.css")
    }
    assert sum(sizes.values()) <= BUDGET_GZIP_BYTES, sizes


def test_widget_makes_html_only_from_the_server_s_body_html() -> None:
    source = assembled("embed.js")
    assert len(re.findall(r"\.innerHTML\s*=", source)) == 1
    assert re.search(r"\.innerHTML\s*=\s*policy \? policy\.createHTML\(html\) : html;", source)
    assert "setBodyHtml(node.body, c.body_html)" in source
    # Its two uses, besides its definition: a comment's body, and the preview of one
    # (issue 22: POST .../preview answers with the body_html a post would store).
    assert "setBodyHtml(region, data.body_html)" in source
    assert source.count("setBodyHtml(") == 2
    for sink in ("outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                 "createContextualFragment", "DOMParser", "srcdoc", "cssText",
                 "setAttribute('style'", 'setAttribute("style"', ".style ="):
        assert sink not in source, sink


class _InlineFinder(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, style elements and attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "style" or "style" in names or any(n.startswith("on") for n in names):
            self.inline.append(tag)
        if tag == "script":
            src = dict(attrs).get("src")
            if not src:
                self.inline.append("script")
            else:
                self.scripts.append(src)


def test_demo_page_embeds_the_widget_under_a_strict_policy(client: FlaskClient) -> None:
    response = client.get("/demo")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert "default-src 'none'" in policy
    assert "require-trusted-types-for 'script'" in policy
    page = response.get_data(as_text=True)
    finder = _InlineFinder()
    finder.feed(page)
    assert finder.inline == []
    assert finder.scripts == ["/embed.js"]
    assert 'id="comments"' in page
    assert 'data-site="demo"' in page
    assert 'data-comments-count="2026/harbour-bridge-reopens"' in page


def test_demo_page_uses_the_configured_site(make_app) -> None:
    page = make_app(demo={"site": "ledger"}).test_client().get("/demo").get_data(as_text=True)
    assert 'data-site="ledger"' in page


def test_demo_page_is_gone_when_the_demo_is_off(make_app) -> None:
    response = make_app(demo={"enabled": False}).test_client().get("/demo")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
