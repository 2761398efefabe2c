"""The widget rows: gzipped size of what a page downloads, and time to the first comment.

Both widgets are embedded in a plain article page served from a small loopback server,
the way a site embeds them. Headless Chromium (Debian's, through Playwright) loads the
page in a fresh context each time (empty cache); a script injected before the page's own
notes ``performance.now()`` when the first comment's text enters the document (or an
open shadow root), i.e. milliseconds from navigation start to the first comment shown.
"""

from __future__ import annotations

import gzip
import html
import json
import statistics
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from benchmarks.seed import THREADS_SITE, WIDGET_ARTICLE, WIDGET_MARKER

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
NOT_BUILT = "widget not built yet"

_ARTICLE = (
    "<h1>The Harbour Bridge reopens</h1>"
    "<p>The bridge reopened this morning, two years after engineers closed it.</p>"
)

# Notes when the first comment's text is in the document; sees open shadow roots too.
FIRST_COMMENT_SCRIPT = """
(() => {
  const marker = __MARKER__;
  const roots = [];
  const options = {childList: true, subtree: true, characterData: true};
  const check = () => {
    if (window.__firstCommentAt !== undefined) return;
    for (const root of [document.documentElement, ...roots]) {
      if (root && root.textContent && root.textContent.includes(marker)) {
        window.__firstCommentAt = performance.now();
        observer.disconnect();
        return;
      }
    }
  };
  const observer = new MutationObserver(check);
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    const root = attach.call(this, init);
    roots.push(root);
    observer.observe(root, options);
    return root;
  };
  observer.observe(document, options);
})();
""".replace("__MARKER__", json.dumps(WIDGET_MARKER))


#: The non-English page of the widget rows (issue 20): the widget fetches its catalogue
#: (widget/i18n/de.json) alongside the config and the first page of comments.
OTHER_LANGUAGE = "de"


def our_page(service: str, lang: str = "en") -> str:
    """Our embed snippet: a container naming site and article, and the script, on a page
    in `lang` (<html lang>, which the widget follows)."""
    return (
        f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>"
        "<title>Benchmark article</title></head><body>" + _ARTICLE +
        f"<div id='comments' data-site='{THREADS_SITE}' data-article='{WIDGET_ARTICLE}'"
        " data-title='Benchmark article'></div>"
        f"<script src='{html.escape(service)}/embed.js' async></script></body></html>"
    )


def isso_page(isso: str) -> str:
    """Isso's documented embed: its script (with its CSS inside) and the thread section."""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Benchmark article</title></head><body>" + _ARTICLE +
        f"<script data-isso='{html.escape(isso)}/' src='{html.escape(isso)}/js/embed.min.js'>"
        "</script>"
        f"<section id='isso-thread' data-isso-id='{WIDGET_ARTICLE}'"
        " data-title='Benchmark article'></section></body></html>"
    )


class PageServer:
    """Serves a few generated pages on loopback, from memory."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: object) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> PageServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback http
            return response.read()
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def gzipped_size(*bodies: bytes) -> int:
    """What the files weigh gzipped (level 9), each compressed on its own as served."""
    return sum(len(gzip.compress(body, compresslevel=9, mtime=0)) for body in bodies)


def our_assets(service: str) -> list[bytes] | None:
    """embed.js and, if served, embed.css; None while the service has no widget."""
    script = _get(service + "/embed.js")
    if script is None:
        return None
    style = _get(service + "/embed.css")
    return [script] + ([style] if style is not None else [])


def isso_assets(isso: str) -> list[bytes]:
    script = _get(isso + "/js/embed.min.js")
    if script is None:
        raise RuntimeError("Isso did not serve /js/embed.min.js")
    return [script]


@dataclass
class Browser:
    """Headless Chromium through Playwright, started once and reused for every load."""

    def __post_init__(self) -> None:
        from playwright.sync_api import sync_playwright

        self._manager = sync_playwright()
        self._playwright = self._manager.start()
        self._browser = self._playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )

    def first_comment_ms(self, url: str, loads: int, timeout_ms: float = 60_000) -> float:
        """Median over `loads` cold loads of the time to the first comment shown."""
        times = []
        for _ in range(loads):
            context = self._browser.new_context()
            try:
                page = context.new_page()
                page.add_init_script(FIRST_COMMENT_SCRIPT)
                page.goto(url, wait_until="commit", timeout=timeout_ms)
                page.wait_for_function("window.__firstCommentAt !== undefined",
                                       timeout=timeout_ms)
                times.append(float(page.evaluate("window.__firstCommentAt")))
            finally:
                context.close()
        return statistics.median(times)

    def close(self) -> None:
        self._browser.close()
        self._manager.__exit__(None, None, None)


@contextmanager
def browser() -> Iterator[Browser | None]:
    """A browser, or None when Chromium or Playwright is not there (the row is skipped)."""
    if not CHROMIUM.exists():
        yield None
        return
    try:
        opened = Browser()
    except ImportError:
        yield None
        return
    try:
        yield opened
    finally:
        opened.close()
