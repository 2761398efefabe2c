"""Browser fixtures: the real service and a host page on another origin, driven by chromium.

The service runs in a background thread (werkzeug, threaded) on a free loopback port,
on its own SQLite database built by the real migrations. Host pages are served by a
second server on another port, so every API call the widget makes is a real
cross-origin request with real CORS. Chromium is Debian's (/usr/bin/chromium),
launched once per run; each test gets a fresh browser context (empty localStorage).
"""

from __future__ import annotations

import html
import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from comments_service import create_app
from comments_service.cli import migrate_database
from comments_service.extensions import db
from comments_service.services import sites
from tests.conftest import CHROMIUM

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SITE = "news"

requires_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="browser tests need Debian's chromium at /usr/bin/chromium "
    "(apt-get install -y chromium)",
)

# Small pages so "load more" and "show more replies" appear with a few comments;
# limits on, with room for a whole test run from one address.
SERVICE_OVERRIDES: dict[str, dict[str, Any]] = {
    "security": {"secret_key": "widget-test-secret-not-for-production"},
    "threads": {"page_size": 5, "replies_per_comment": 3},
    # The widget sends its form token (required from browsers, the default); these
    # tests type faster than a person, so the too-fast rule waits for nobody here
    # (test_form_token_widget.py keeps it, and types like a person).
    "spam": {"duplicate_window_seconds": 0, "form_token_min_seconds": 0},
    "limits": {
        "enabled": True,
        "post_per_client": "1000 per minute",
        "post_per_email": "1000 per minute",
        "post_per_thread": "1000 per minute",
        "edit_per_client": "1000 per minute",
        "read_per_client": "10000 per minute",
    },
    # live updates: every page opens a stream from 127.0.0.1 to a server with a thread
    # per request; quick heartbeats free the slot of a closed page soon.
    "live": {"max_streams_per_client": 1000, "max_streams_per_process": 1000,
             "heartbeat_seconds": 1},
}


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """Keep the test output to the tests' own."""


class Server:
    """A WSGI app served on a free loopback port from a background thread."""

    def __init__(self, app: Any, host: str = "127.0.0.1") -> None:
        self._server: BaseWSGIServer = make_server(
            host, 0, app, threaded=True, request_handler=_QuietHandler
        )
        self.url = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.running = True

    def stop(self) -> None:
        if self.running:
            self.running = False
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()


class HostSite:
    """The site that embeds the widget: pages registered by the tests, at another origin."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.pages: dict[str, tuple[str, dict[str, str]]] = {}
        self._ids = itertools.count(1)
        self.server = Server(self, host)

    @property
    def origin(self) -> str:
        return self.server.url

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        page = self.pages.get(environ.get("PATH_INFO", ""))
        if page is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        body, headers = page
        content_type = "text/css" if environ["PATH_INFO"].endswith(".css") else "text/html"
        start_response(
            "200 OK",
            [("Content-Type", f"{content_type}; charset=utf-8"), *headers.items()],
        )
        return [body.encode()]

    def add(self, text: str, *, path: str | None = None, headers: dict[str, str] | None = None,
            ) -> str:
        path = path or f"/page-{next(self._ids)}.html"
        self.pages[path] = (text, headers or {})
        return self.origin + path


@dataclass
class Service:
    """The comments service under test, with a host site allowed to post to it."""

    app: Flask
    server: Server
    host: HostSite
    articles: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def url(self) -> str:
        return self.server.url

    def new_article(self) -> str:
        return f"article-{next(self.articles)}"

    def post(self, article: str, body: str, name: str = "Someone", parent: int | None = None,
             site: str = SITE, **extra: Any) -> int:
        """Post as another reader would (no Origin: not a browser), returning the id."""
        payload = {"article": article, "body": body, "author_name": name, **extra}
        if parent is not None:
            payload["parent_id"] = parent
        response = self.app.test_client().post(
            f"/api/v1/sites/{site}/comments", json=payload
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()["comment"]["id"]

    def site_config(self, site: str = SITE) -> dict[str, Any]:
        return self.app.test_client().get(f"/api/v1/sites/{site}/config").get_json()

    def page(self, article: str | None = None, *, lang: str = "en", attrs: str = "",
             head: str = "", before: str = "", after: str = "", site: str = SITE,
             headers: dict[str, str] | None = None) -> str:
        """A host article page embedding the widget with the documented snippet; its URL."""
        attributes = f'data-site="{site}"'
        if article is not None:
            attributes += f' data-article="{html.escape(article)}"'
        text = f"""<!doctype html>
<html lang="{lang}">
<head><meta charset="utf-8"><title>Host article {html.escape(article or "")}</title>{head}</head>
<body>
{before}
<div id="comments" {attributes} {attrs}></div>
{after}
<script src="{self.url}/embed.js" async></script>
</body>
</html>"""
        return self.host.add(text, headers=headers)


def _build_service(db_path: Path, instance: Path, host: HostSite,
                   overrides: dict[str, dict[str, Any]]) -> Service:
    settings = {section: dict(values) for section, values in SERVICE_OVERRIDES.items()}
    for section, values in overrides.items():
        settings.setdefault(section, {}).update(values)
    settings["database"] = {"url": f"sqlite:///{db_path}"}
    app = create_app(settings, instance_path=instance)
    migrate_database(app)
    with app.app_context():
        now = datetime.now(UTC)
        sites.create_site(db.session, SITE, "The Riverside Ledger", [host.origin], now)
        db.session.commit()
    return Service(app=app, server=Server(app), host=host)


def _dispose(service: Service) -> None:
    service.server.stop()
    with service.app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def host_site() -> Iterator[HostSite]:
    host = HostSite()
    yield host
    host.server.stop()


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory, host_site: HostSite) -> Iterator[Service]:
    """The service every browser test shares; tests keep apart by using their own articles."""
    folder = tmp_path_factory.mktemp("widget-service")
    built = _build_service(folder / "comments.db", folder / "instance", host_site, {})
    yield built
    _dispose(built)


@pytest.fixture
def make_service(tmp_path: Path, host_site: HostSite) -> Iterator[Callable[..., Service]]:
    """A service of the test's own, with config overrides (rate limits, a server to stop)."""
    made: list[Service] = []

    def build(**overrides: dict[str, Any]) -> Service:
        folder = tmp_path / f"service{len(made)}"
        folder.mkdir()
        built = _build_service(folder / "comments.db", folder / "instance", host_site, overrides)
        made.append(built)
        return built

    yield build
    for built in made:
        _dispose(built)


@dataclass
class PageErrors:
    """Uncaught script errors of the pages a test opened; a test ends with none."""

    messages: list[str] = field(default_factory=list)


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """Open a page in a fresh browser context (options: color_scheme, locale, viewport...)."""
    contexts: list[Any] = []
    errors = PageErrors()

    def open_page(**options: Any) -> Any:
        options.setdefault("viewport", {"width": 1100, "height": 900})
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.messages.append(str(error)))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert errors.messages == [], f"uncaught errors in the page: {errors.messages}"


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    return new_page()
