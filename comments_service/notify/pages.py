"""The pages behind links in emails: confirm an address, change or stop a subscription.

GET only shows a page; every change is a POST (a link scanner or prefetching
mail client following a GET changes nothing). The one exception in spirit is
RFC 8058 one-click unsubscribe, which is itself a POST of
``List-Unsubscribe=One-Click`` sent by the mail client to the same URL.
A forged, altered or expired token gets a 400 page, never a 500.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, make_response, render_template, request
from flask_babel import gettext as _

from comments_service.config import Settings
from comments_service.extensions import db
from comments_service.limits import limiter, read_limit, subscribe_limit
from comments_service.notify import tokens
from comments_service.services import notifications

pages = Blueprint("notify_pages", __name__)

ONE_CLICK_FIELD = "List-Unsubscribe"
ONE_CLICK_VALUE = "One-Click"
MODES = ("all", "replies", "none")


def _settings() -> Settings:
    return current_app.extensions["comments_settings"]


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def link_page(template: str, status: int = 200, **context: object) -> Response:
    """A page behind an emailed link: templates/notify/<template>.html, never cached."""
    response = make_response(render_template(f"notify/{template}.html", **context), status)
    # The token is in the URL: keep it out of caches, search engines and Referer headers.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@pages.errorhandler(tokens.InvalidToken)
def invalid_link(exc: tokens.InvalidToken) -> Response:
    return link_page("invalid", 400, is_expired=exc.is_expired)


def _confirm_claim(token: str) -> tokens.LinkClaim:
    max_age = _settings().notifications.confirmation_max_age_seconds
    return tokens.read_confirm_token(_secret(), token, max_age)


def _thread(claim: tokens.LinkClaim) -> notifications.ThreadContext | None:
    return notifications.thread_context(db.session, claim.thread_id)


def _mode(claim: tokens.LinkClaim) -> str:
    return notifications.subscription_mode(db.session, claim.thread_id, claim.address_hash)


@pages.get(f"{tokens.CONFIRM_PATH}<token>")
@limiter.limit(read_limit)
def confirm_page(token: str) -> Response:
    claim = _confirm_claim(token)
    return link_page("confirm", thread=_thread(claim),
                 is_confirmed=notifications.is_confirmed(db.session, claim.address_hash))


@pages.post(f"{tokens.CONFIRM_PATH}<token>")
@limiter.limit(subscribe_limit)
def confirm(token: str) -> Response:
    claim = _confirm_claim(token)
    if not notifications.confirm_address(db.session, claim.address_hash, datetime.now(UTC)):
        raise tokens.InvalidToken()  # a valid link for an address that never subscribed
    db.session.commit()
    return link_page("confirmed", thread=_thread(claim))


@pages.get(f"{tokens.UNSUBSCRIBE_PATH}<token>")
@limiter.limit(read_limit)
def manage_page(token: str) -> Response:
    claim = tokens.read_manage_token(_secret(), token)
    return link_page("manage", thread=_thread(claim), mode=_mode(claim))


@pages.post(f"{tokens.UNSUBSCRIBE_PATH}<token>")
@limiter.limit(subscribe_limit)
def change_subscription(token: str) -> Response:
    claim = tokens.read_manage_token(_secret(), token)
    is_one_click = request.form.get(ONE_CLICK_FIELD) == ONE_CLICK_VALUE
    mode = "none" if is_one_click else request.form.get("mode", "none")
    if mode not in MODES:
        return link_page("manage", 400, thread=_thread(claim), mode=_mode(claim),
                     error=_("Choose one of the options."))
    changed = notifications.set_mode(db.session, claim.thread_id, claim.address_hash, mode)
    db.session.commit()
    # A stopped subscription cannot be restarted from its link (the link holds no
    # address); say so instead of pretending.
    return link_page("updated", thread=_thread(claim), mode=mode if changed or mode == "none"
                 else "stopped_earlier")
