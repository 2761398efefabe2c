"""Every expected failure, and the one place that turns any error into JSON.

Services raise ApiError subclasses; views never build error bodies. The shape is
always ``{"error": {"code": str, "message": str, "fields": {name: message}}}``.
Anything else that escapes a view is a bug: it is logged with its traceback and
answered with a bare 500 in the same shape, never the traceback itself.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify
from flask_limiter.errors import RateLimitExceeded
from limits.errors import StorageError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from comments_service.extensions import db

log = logging.getLogger(__name__)


class ApiError(Exception):
    status: int = 400
    code: str = "bad_request"
    message: str = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.message
        self.fields = fields or {}
        self.headers = headers or {}
        super().__init__(self.message)


class BadRequest(ApiError):
    status = 400
    code = "bad_request"


class InvalidJson(ApiError):
    status = 400
    code = "invalid_json"
    message = "The request body is not valid JSON."


class InvalidCursor(ApiError):
    status = 400
    code = "invalid_cursor"
    message = "The cursor is not one this service issued."


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"
    message = "Sign in first: send Authorization: Bearer <moderator token>."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer realm="moderation"'})


class Forbidden(ApiError):
    status = 403
    code = "forbidden"
    message = "You may not do that."


class OriginNotAllowed(Forbidden):
    code = "origin_not_allowed"
    message = "This site does not accept comments from that origin."


class InvalidEditToken(Forbidden):
    code = "invalid_edit_token"
    message = "The edit token does not match this comment."


class NotYourSite(Forbidden):
    code = "not_your_site"
    message = "You do not moderate that site."


class Banned(Forbidden):
    code = "banned"
    message = "You can no longer comment on this site."


class NotFound(ApiError):
    status = 404
    code = "not_found"
    message = "Nothing here."


class SiteNotFound(NotFound):
    code = "site_not_found"
    message = "No site has that name."


class LanguageNotFound(NotFound):
    code = "language_not_found"
    message = "The widget has no strings in that language."


class CommentNotFound(NotFound):
    code = "comment_not_found"
    message = "No comment has that id."


class ThreadNotFound(NotFound):
    code = "thread_not_found"
    message = "No thread has that id."


class BanNotFound(NotFound):
    code = "ban_not_found"
    message = "No ban has that id."


class Conflict(ApiError):
    status = 409
    code = "conflict"


class ThreadLocked(Conflict):
    code = "thread_locked"
    message = "This thread is closed for new comments."


class EditWindowClosed(Conflict):
    code = "edit_window_closed"
    message = "The time to edit or delete this comment has passed."


class CommentGone(Conflict):
    code = "comment_deleted"
    message = "This comment has been deleted."


class DuplicateComment(Conflict):
    code = "duplicate_comment"
    message = "You have already posted this comment."


class AlreadyFlagged(Conflict):
    code = "already_flagged"
    message = "You have already flagged this comment."


class ActionNotAllowed(Conflict):
    code = "action_not_allowed"
    message = "That action does not apply to this comment in its current state."


class LinkUsed(ApiError):
    status = 410
    code = "link_used"
    message = "This link was used already: each moderation link works once."


class PayloadTooLarge(ApiError):
    status = 413
    code = "payload_too_large"
    message = "The request body is too large."


class UnsupportedMediaType(ApiError):
    status = 415
    code = "unsupported_media_type"
    message = "Send the request body as application/json."


class ValidationFailed(ApiError):
    status = 422
    code = "validation_failed"
    message = "Some fields are not valid."


class ServiceUnavailable(ApiError):
    status = 503
    code = "unavailable"
    message = "The service is briefly unavailable. Please try again in a moment."


class SpamRejected(ApiError):
    # Deliberately the same words whichever rule tripped: naming the rule would
    # teach a spammer what to change.
    status = 422
    code = "spam_rejected"
    message = (
        "Sorry, this comment could not be accepted. Please review it and try again "
        "in a moment."
    )


class RateLimited(ApiError):
    status = 429
    code = "rate_limited"
    message = "Too many requests. Please wait a moment and try again."


# ---- notifications (issue 5) ------------------------------------------------------


class NotificationsOff(Conflict):
    code = "notifications_disabled"
    message = "This service sends no notifications."


class ReaderDataOff(Conflict):
    code = "reader_data_disabled"
    message = "This service does not email readers links to their own comments."


class OutboxRowNotFound(NotFound):
    code = "outbox_row_not_found"
    message = "No dead or cancelled outbox message has that id."


# ---- end notifications -------------------------------------------------------------


# ---- live updates (issue 9) -------------------------------------------------------


class TooManyStreams(RateLimited):
    code = "too_many_streams"
    message = "This address has as many live streams open as it may. Close one first."


class StreamsBusy(ServiceUnavailable):
    code = "streams_busy"
    message = "No live stream can be opened just now; fall back to polling and try later."


class LiveOff(NotFound):
    code = "live_disabled"
    message = "This service sends no live updates."


# ---- end live updates ----------------------------------------------------------------


# ---- feeds --------------------------------------------------------------------------


class FeedsOff(NotFound):
    code = "feeds_disabled"
    message = "This service serves no feeds."


# ---- votes --------------------------------------------------------------------------


class VotesOff(NotFound):
    code = "votes_disabled"
    message = "This service takes no votes."


class DownvotesDisabled(Forbidden):
    code = "downvotes_disabled"
    message = "This site takes up votes only."


class AddressVoteLimit(Conflict):
    code = "address_vote_limit"
    message = "Someone on your network has already voted on this comment."


# ---- end votes ----------------------------------------------------------------------


# ---- readers who sign in (issue 21) ---------------------------------------------------


class ReaderTokenInvalid(ApiError):
    status = 401
    code = "invalid_reader_token"
    message = "Your sign-in has expired or was ended. Sign in again."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer realm="readers"'})


class SignInRequired(ApiError):
    status = 401
    code = "sign_in_required"
    message = "This site takes comments from signed-in readers only. Sign in first."


class SignInWayNotFound(NotFound):
    code = "sign_in_way_not_found"
    message = "This site offers no such way to sign in."


class SignInFailed(ApiError):
    status = 400
    code = "sign_in_failed"
    message = "Signing in did not work. Please try again."


class SignInOriginRefused(Forbidden):
    code = "sign_in_origin_not_allowed"
    message = ("This page may not sign readers in for that site: its address is not one of "
               "the site's allowed origins.")


class SsoTokenInvalid(ApiError):
    status = 401
    code = "invalid_sso_token"
    message = "The site's sign-in token is not valid."


class IdentityNotFound(NotFound):
    code = "identity_not_found"
    message = "No signed-in reader of this site has that id."


# ---- end readers --------------------------------------------------------------------


class RateLimitUnavailable(ApiError):
    status = 503
    code = "rate_limit_unavailable"
    message = "The service cannot take requests just now. Please try again shortly."


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _respond(
    status: int,
    code: str,
    message: str,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    response = jsonify(error_body(code, message, fields))
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


# HTTP errors werkzeug raises before our code runs (routing, body size, methods).
_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def register_error_handlers(app: Flask) -> None:
    """Install the handlers that give every error the project's JSON shape."""

    @app.errorhandler(ApiError)
    def handle_api_error(error: ApiError) -> Response:
        db.session.rollback()
        return _respond(error.status, error.code, error.message, error.fields, error.headers)

    @app.errorhandler(RateLimitExceeded)
    def handle_rate_limited(error: RateLimitExceeded) -> Response:
        db.session.rollback()
        # Flask-Limiter adds Retry-After and X-RateLimit-* in its after_request hook.
        return _respond(RateLimited.status, RateLimited.code, RateLimited.message)

    def database_unavailable(error: Exception) -> Response:
        # The database is down, unreachable, out of connections or too slow: a
        # client can retry, so this is a 503 with Retry-After, never a 500 or a hang.
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the connection may be gone already
            log.debug("rollback_failed_after_database_error")
        log.warning("database_unavailable", extra={"error_type": type(error).__name__})
        settings = app.extensions["comments_settings"]
        retry = str(settings.observability.unavailable_retry_after_s)
        return _respond(
            ServiceUnavailable.status,
            ServiceUnavailable.code,
            ServiceUnavailable.message,
            headers={"Retry-After": retry},
        )

    @app.errorhandler(OperationalError)
    def handle_operational_error(error: OperationalError) -> Response:
        return database_unavailable(error)

    @app.errorhandler(PoolTimeout)
    def handle_pool_timeout(error: PoolTimeout) -> Response:
        return database_unavailable(error)

    @app.errorhandler(DBAPIError)
    def handle_dbapi_error(error: DBAPIError) -> Response:
        if error.connection_invalidated:
            return database_unavailable(error)
        return handle_unexpected(error)

    @app.errorhandler(StorageError)
    def handle_limits_storage_down(error: StorageError) -> Response:
        # Reaches here only with [limits] on_storage_error = "refuse".
        db.session.rollback()
        log.error("rate_limit_storage_unavailable", extra={"error_type": type(error).__name__})
        problem = RateLimitUnavailable()
        return _respond(problem.status, problem.code, problem.message)

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException) -> Response:
        db.session.rollback()
        status = error.code or 500
        code = _HTTP_CODES.get(status, "http_error")
        headers: dict[str, str] = {}
        valid_methods = getattr(error, "valid_methods", None)
        if status == 405 and valid_methods:
            headers["Allow"] = ", ".join(valid_methods)
        return _respond(status, code, error.description or error.name, headers=headers)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> Response:
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - report the first error, not this one
            log.debug("rollback_failed_after_error")
        log.exception("unhandled_error", extra={"error_type": type(error).__name__})
        return _respond(500, "internal_error", "Something went wrong on our side.")
