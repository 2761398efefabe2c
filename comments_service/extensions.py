"""Flask extensions, created unbound here and bound to an app in create_app."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from comments_service.clients import client_address

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
migrate = Migrate()
# Limits are declared per route in limits.py; storage and strategy come from config.
limiter = Limiter(key_func=client_address, default_limits=[])
# Moderators' admin sessions (Flask-Login) and its forms' CSRF tokens (Flask-WTF);
# set up by comments_service.auth.init_app.
login_manager = LoginManager()
csrf = CSRFProtect()
