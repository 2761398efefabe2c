"""Rate limits for each kind of request, read from config at request time.

Flask-Limiter counts per client address (clients.client_address, proxy-aware);
the limits themselves are strings in config/default.toml [limits].
"""

from __future__ import annotations

from flask import Flask, current_app

from comments_service.config import Settings


def _limits() -> Settings:
    return current_app.extensions["comments_settings"]


def post_limit() -> str:
    return _limits().limits.post_per_client


def edit_limit() -> str:
    return _limits().limits.edit_per_client


def read_limit() -> str:
    return _limits().limits.read_per_client


def flag_limit() -> str:
    return _limits().limits.flag_per_client


def login_limit() -> str:
    return _limits().limits.login_per_client


def configure_limiter(app: Flask, settings: Settings) -> None:
    """Flask-Limiter's app.config keys from our [limits] section."""
    app.config.update(
        RATELIMIT_ENABLED=settings.limits.enabled,
        RATELIMIT_STORAGE_URI=settings.limits.storage_uri,
        RATELIMIT_STRATEGY=settings.limits.strategy,
        RATELIMIT_HEADERS_ENABLED=True,
        RATELIMIT_KEY_PREFIX="comments",
    )
