"""The pages behind a moderator notice's approve / hide links.

GET only shows what the link would do, with a button; the action is the POST
that button sends to the same URL (a mail scanner following links changes
nothing). The signed token in the URL is the capability; a POST that names
another site in Origin is refused as well. A used, altered or expired link, or a
comment gone or already in that state, gets a 4xx page, never a 500.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _

from comments_service.errors import ActionNotAllowed, CommentNotFound, LinkUsed
from comments_service.extensions import db
from comments_service.limits import limiter, read_limit
from comments_service.models import Comment
from comments_service.notify import tokens
from comments_service.notify.pages import link_page
from comments_service.services import moderation_links, notifications
from comments_service.services.moderation import CommentAction

moderation_pages = Blueprint("moderation_pages", __name__)

DONE = {"approve": "approved", "hide": "hidden"}


def _claim(token: str) -> tokens.ModerationClaim:
    max_age = current_app.extensions["comments_settings"].notifications \
        .moderation_link_max_age_seconds
    return tokens.read_moderation_token(current_app.config["SECRET_KEY"], token, max_age)


def _refused(status: int, message: str) -> Response:
    return link_page("moderate_refused", status, message=message)


@moderation_pages.errorhandler(tokens.InvalidToken)
def invalid_link(exc: tokens.InvalidToken) -> Response:
    return link_page("invalid", 400, is_expired=exc.is_expired,
                     expired_hint=_("This moderation link has expired. Use the admin pages."))


@moderation_pages.errorhandler(LinkUsed)
def used_link(exc: LinkUsed) -> Response:
    db.session.rollback()
    return _refused(410, _("This link was used already: each moderation link works once."))


@moderation_pages.errorhandler(CommentNotFound)
def comment_gone(exc: CommentNotFound) -> Response:
    db.session.rollback()
    return _refused(404, _("This comment no longer exists."))


@moderation_pages.errorhandler(ActionNotAllowed)
def not_applicable(exc: ActionNotAllowed) -> Response:
    db.session.rollback()
    return _refused(409, _("This comment is no longer in a state this action applies to; "
                           "it may have been moderated already."))


@moderation_pages.get(f"{tokens.MODERATION_PATH}<token>")
@limiter.limit(read_limit)
def moderate_page(token: str) -> Response:
    claim = _claim(token)
    if moderation_links.is_used(db.session, claim.nonce):
        raise LinkUsed()
    if db.session.get(Comment, claim.comment_id) is None:
        raise CommentNotFound()
    ctx = notifications.comment_context(db.session, claim.comment_id)
    return link_page("moderate", action=claim.action, ctx=ctx)


def _same_origin() -> bool:
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.host


@moderation_pages.post(f"{tokens.MODERATION_PATH}<token>")
@limiter.limit(read_limit)
def moderate(token: str) -> Response:
    claim = _claim(token)
    if not _same_origin():
        return _refused(403, _("This action can only be confirmed from its own page."))
    result = moderation_links.use_link(
        db.session, comment_id=claim.comment_id, action=CommentAction(claim.action),
        outbox_id=claim.outbox_id, nonce=claim.nonce,
        rules=current_app.extensions["comments_settings"].moderation,
        now=datetime.now(UTC))
    db.session.commit()
    return link_page("moderated", what=DONE[claim.action], comment_id=result.comment_id)
