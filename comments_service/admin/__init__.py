"""The moderators' admin pages at /admin: server-rendered (Jinja2), session sign-in.

Never shares a route with the public API. Every POST here must carry the
page's CSRF token (Flask-WTF), checked before any view runs; every response
forbids framing and caching. Errors render as pages, not JSON.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from comments_service.auth import csrf
from comments_service.errors import ApiError
from comments_service.extensions import db

admin = Blueprint(
    "admin",
    __name__,
    url_prefix="/admin",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

NAV_ITEMS: list[tuple[str, object]] = [
    ("admin.queue_page", lazy_gettext("Queue")),
    ("admin.search_page", lazy_gettext("Search")),
    ("admin.bans_page", lazy_gettext("Bans")),
    ("admin.audit_page", lazy_gettext("Audit log")),
    ("admin.sites_page", lazy_gettext("Sites")),
]
"""(endpoint, label) of the admin navigation, in order. The notifications work
appends its dead-notification list here: ("admin.dead_notifications", "Dead
notifications"), next to the audit log."""

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


@admin.before_request
def require_csrf_token() -> None:
    # CSRFProtect's app-wide check is off (auth.init_app); the admin forms are
    # the only cookie-authenticated writes, so they are checked here.
    if request.method == "POST" and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()


@admin.after_request
def harden(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def _error_page(status: int, title: str, message: str) -> tuple[str, int]:
    db.session.rollback()
    return render_template("admin/error.html", title=title, message=message), status


@admin.errorhandler(CSRFError)
def csrf_failed(_error: CSRFError) -> tuple[str, int]:
    return _error_page(
        400, _("This form has expired"),
        _("It was not sent from this page, or too long ago. Go back, reload the page and "
          "try again."),
    )


@admin.errorhandler(RateLimitExceeded)
def rate_limited(_error: RateLimitExceeded) -> tuple[str, int]:
    return _error_page(429, _("Too many attempts"), _("Please wait a minute and try again."))


@admin.errorhandler(ApiError)
def api_error(error: ApiError) -> tuple[str, int]:
    return _error_page(error.status, _("That did not work"), error.message)


@admin.errorhandler(HTTPException)
def http_error(error: HTTPException) -> tuple[str, int]:
    return _error_page(error.code or 500, error.name, error.description or "")


from comments_service.admin import sign_in_views, views  # noqa: E402

__all__ = ["NAV_ITEMS", "admin", "sign_in_views", "views"]
