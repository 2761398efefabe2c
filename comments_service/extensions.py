"""Flask extensions, created unbound here and bound to an app in create_app."""

from __future__ import annotations

from flask import Response, current_app, request
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from comments_service.limits import AppLimiter, client_key

# Stable constraint names, so Alembic migrations can name what they alter.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
# Limits are declared per route with the providers in limits.py; storage, strategy and
# failure handling come from config when create_app binds it.
limiter = AppLimiter(key_func=client_key)


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
