"""Who is a moderator on this request: an admin session (Flask-Login) or an API token.

``identify_moderator`` runs before every request, ahead of the rate limiter,
and sets ``flask.g.is_moderator`` (the contract limits.py relies on to exempt
moderators) and ``flask.g.moderator`` (an Actor, or None). It looks only when
the request carries an ``Authorization`` header or the session cookie, so
public reads cost nothing and do not touch the session (no ``Vary: Cookie``).

The JSON moderation API accepts bearer tokens only (a cookie is sent by the
browser on its own; a token is not), the admin pages the session only.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Response, current_app, g, request
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFProtect

from comments_service.config import Settings
from comments_service.extensions import db
from comments_service.limits import exempt_current_request
from comments_service.services import moderators
from comments_service.services.moderators import Actor
from comments_service.services.readers import TOKEN_PREFIX as READER_TOKEN_PREFIX

SESSION_COOKIE = "comments_session"


class SessionOnlyLoginManager(LoginManager):
    """Flask-Login for the admin session, minus one side effect on every other response.

    Flask-Login's after-request hook reads the session to refresh a remember-me
    cookie; reading the session makes Flask add ``Vary: Cookie``, which would
    spoil caching of every public API response. We set no remember-me cookie,
    so a request without the session cookie has nothing for the hook to do.
    """

    def _update_remember_cookie(self, response: Response) -> Response:
        if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
            return response
        return super()._update_remember_cookie(response)  # type: ignore[no-any-return]


# Moderators' admin sessions (Flask-Login) and its forms' CSRF tokens (Flask-WTF);
# set up by comments_service.auth.init_app.
login_manager = SessionOnlyLoginManager()
csrf = CSRFProtect()


class ModeratorUser(UserMixin):
    """A signed-in moderator as Flask-Login sees one."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor

    def get_id(self) -> str:
        return str(self.actor.moderator_id)

    @property
    def email(self) -> str:
        return self.actor.name


def _load_user(user_id: str) -> ModeratorUser | None:
    if not user_id.isdigit():
        return None
    actor = moderators.load_actor(db.session, int(user_id))
    return ModeratorUser(actor) if actor is not None else None


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer`` header, if any."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def identify_moderator() -> None:
    g.is_moderator = False
    g.moderator = None
    g.moderator_via = None
    token = bearer_token()
    # A signed-in reader's token (services/readers.py) is never a moderator's.
    if token is not None and not token.startswith(READER_TOKEN_PREFIX):
        actor = moderators.authenticate_token(db.session, token)
        if actor is not None:
            g.is_moderator, g.moderator, g.moderator_via = True, actor, "token"
            exempt_current_request()
        return
    if token is not None:
        return
    if SESSION_COOKIE in request.cookies and current_user.is_authenticated:
        g.is_moderator, g.moderator, g.moderator_via = True, current_user.actor, "session"
        exempt_current_request()


def init_app(app: Flask, settings: Settings) -> None:
    """Sessions, CSRF and moderator identity. Call before limiter.init_app (see above)."""
    app.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_SECURE=not settings.is_development,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.moderation.session_hours),
        REMEMBER_COOKIE_SECURE=not settings.is_development,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        # CSRF is checked by the admin blueprint for its own forms only: the JSON
        # API has its own guards (Content-Type, Origin, bearer tokens).
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=settings.moderation.session_hours * 3600,
    )
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    login_manager.login_view = "admin.login"
    login_manager.login_message = "Sign in to moderate."
    login_manager.login_message_category = "info"
    login_manager.user_loader(_load_user)
    csrf.init_app(app)
    app.before_request(identify_moderator)
