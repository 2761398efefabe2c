"""What browsers load from the service itself: the widget's script and stylesheet, and /demo.

The widget is plain JavaScript and CSS kept in parts under comments_service/widget/src/,
joined in a fixed order (widget/parts.py) and minified by the service itself (rjsmin,
rcssmin: comments and spare whitespace dropped, ~15% less to download gzipped) once per
process: nothing for the operator or a site owner to build. Any page may load the two files
(``Access-Control-Allow-Origin: *``, ``Cross-Origin-Resource-Policy: cross-origin``);
they carry an ETag of their content so a revalidation after ``widget.max_age_seconds``
is a 304. Clients that accept Brotli or gzip get the file compressed, made once with the
minified file at the strongest settings (compression.py), under its own ETag.

/demo is a news article page with the widget embedded the way a site owner would,
sent under a strict Content-Security-Policy (no inline script or style, Trusted Types
enforced) so that anyone can see the widget works under one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

import rcssmin
import rjsmin
from flask import Blueprint, Flask, Response, current_app, render_template, request, url_for

from comments_service import compression
from comments_service.config import Settings
from comments_service.errors import LanguageNotFound, NotFound
from comments_service.widget.parts import assembled, catalogue, catalogues

web = Blueprint("web", __name__)

# The name the widget gives its Trusted Types policy (widget/src/core.js, setBodyHtml).
TRUSTED_TYPES_POLICY = "comments-service"

# The demo article and the stories listed beside it (their comment counts are filled in
# by the widget in one request). Keys are what a site would pass as data-article.
DEMO_ARTICLE = "2026/harbour-bridge-reopens"
DEMO_RELATED = (
    ("2026/night-ferry-timetable", "Night ferry returns with a later last sailing"),
    ("2026/market-hall-roof", "Market hall roof to be rebuilt in timber"),
    ("2026/library-opening-hours", "Central library extends its Sunday opening hours"),
)


@dataclass(frozen=True)
class _Asset:
    body: bytes
    etag: str
    # The minified file in each encoding ("br", "gzip"), made with it.
    encoded: dict[str, bytes]


_ASSET_TYPES = {
    "embed.js": "text/javascript; charset=utf-8",
    "embed.css": "text/css; charset=utf-8",
}
_MINIFIERS = {
    "embed.js": rjsmin.jsmin,
    "embed.css": rcssmin.cssmin,
}


def _settings() -> Settings:
    return current_app.extensions["comments_settings"]


def minified(name: str, source: str) -> bytes:
    """What is served for a widget file's source text: the same code, minified."""
    return _MINIFIERS[name](source).encode()


def _asset(body: bytes) -> _Asset:
    """A served file's bytes, its content hash and its compressed forms, made once."""
    tuning = _settings().compression
    encoded = {encoding: compression.compress_static(tuning, body, encoding)
               for encoding in compression.ENCODINGS}
    return _Asset(body, hashlib.sha256(body).hexdigest()[:32], encoded)


@cache
def _load(name: str) -> _Asset:
    """The file's parts assembled, minified and compressed: once per process."""
    return _asset(minified(name, assembled(name)))


@cache
def _load_catalogue(lang: str) -> _Asset:
    """A language's catalogue, compressed: once per process."""
    return _asset(catalogue(lang).body)


def prepare_widget(app: Flask) -> None:
    """Minify and compress the widget's files now, before the first reader asks.

    Brotli at quality 11 takes ~0.2 s for embed.js: the production entry points (wsgi.py,
    ``comments-service serve``) call this when a worker starts, so no reader waits for it.
    """
    with app.app_context():
        for name in _ASSET_TYPES:
            _load(name)
        for lang in catalogues():
            _load_catalogue(lang)


def _send(asset: _Asset, content_type: str, max_age: int, *, immutable: bool = False
          ) -> Response:
    """A widget file for any page: compressed as the client accepts, revalidated by ETag."""
    encoding = compression.choose(
        _settings().compression, request.headers.get("Accept-Encoding"), len(asset.body))
    body = asset.encoded[encoding] if encoding else asset.body
    response = Response(body, content_type=content_type)
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    response.set_etag(compression.encoded_etag(asset.etag, encoding))
    response.headers["Cache-Control"] = (
        f"public, max-age={max_age}" + (", immutable" if immutable else ""))
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response.make_conditional(request)


def _asset_response(name: str) -> Response:
    return _send(_load(name), _ASSET_TYPES[name], _settings().widget.max_age_seconds)


@web.get("/js/embed.js")  # an alias; url_for gives the rule below, registered first
@web.get("/embed.js")
def embed_script() -> Response:
    return _asset_response("embed.js")


@web.get("/embed.css")
def embed_stylesheet() -> Response:
    return _asset_response("embed.css")


# A year: the URL changes with the catalogue's content (embed.js names the version).
CATALOGUE_MAX_AGE = 365 * 24 * 3600


@web.get("/embed-i18n/<version>/<lang>.json")
def embed_catalogue(version: str, lang: str) -> Response:
    """One language's widget strings. The version embed.js asks for is cached for a year;
    an old version (a script cached from before an upgrade) gets today's strings, cached
    no longer than the script itself."""
    if lang not in catalogues():
        raise LanguageNotFound()
    current = catalogue(lang).version == version
    max_age = CATALOGUE_MAX_AGE if current else _settings().widget.max_age_seconds
    return _send(_load_catalogue(lang), "application/json; charset=utf-8", max_age,
                 immutable=current)


def demo_csp() -> str:
    """The policy /demo is sent with: everything from this origin only, nothing inline."""
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "img-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
            "require-trusted-types-for 'script'",
            f"trusted-types {TRUSTED_TYPES_POLICY}",
        )
    )


@web.get("/demo")
def demo() -> Response:
    """A news article page embedding the widget for the [demo] site, under a strict CSP."""
    settings = _settings()
    if not settings.demo.enabled:
        raise NotFound()
    headline = "The Harbour Bridge reopens after two years of repairs"
    today = datetime.now(UTC)
    html = render_template(
        "demo.html",
        site=settings.demo.site,
        article=DEMO_ARTICLE,
        headline=headline,
        page_url=url_for("web.demo", _external=True),
        related=DEMO_RELATED,
        published=f"{today.day} {today:%B %Y}",
    )
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = demo_csp()
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    return response
