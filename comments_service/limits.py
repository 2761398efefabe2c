"""Rate limits: what is counted, by which key, and the limiter that counts it.

Every limit is a string in config/default.toml [limits], read at request time,
and declared on its route with ``@limiter.limit(...)`` from the providers here:

===========================  =====================================  ==========================
route                        decorators                             counted per
===========================  =====================================  ==========================
POST comments                ``post_limit``                         client address
                             ``post_email_limit`` (+ key, exempt)   author_email in the body
                             ``post_thread_limit`` (+ key, exempt)  site + article in the body
PATCH/DELETE a comment       ``edit_limit``                         client address
every GET                    ``read_limit``                         client address
flag a comment (moderation)  ``flag_limit``                         client address
vote, undo a vote (votes)    ``vote_limit`` (one shared budget)     client address
subscribe (notifications)    ``subscribe_limit``                    client address
                             ``subscribe_email_limit`` with         the email in the body
                             ``key_func=email_key("email")``,
                             ``exempt_when=lacks_field("email")``
reader data link (API, page) ``subscribe_limit``                    client address
                             ``subscribe_email_limit``, shared      the email in the body
                             (``READER_DATA_EMAIL_SCOPE``)
===========================  =====================================  ==========================

For example, a subscription route whose JSON body carries ``email``::

    @limiter.limit(subscribe_limit)
    @limiter.limit(subscribe_email_limit, key_func=email_key("email"),
                   exempt_when=lacks_field("email"))

A thread page revalidated with its current ETag is answered before the limiter
(``api/thread_etags.py``) and not counted: it costs less than the counting would.

Keys never hold an address or an email in clear (they end up in Redis and in
Flask-Limiter's log lines): each is a keyed hash under the app's secret.

Moderators are exempt: once moderator authentication has verified a request,
it calls ``exempt_current_request()``. Limits are evaluated by the route
decorators, after every ``before_request`` hook, so a flag set in one is seen.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter
from werkzeug.exceptions import HTTPException

from comments_service import limit_storage
from comments_service.clients import rate_key
from comments_service.config import Settings
from comments_service.request_client import client_address

EXEMPT_FLAG = "comments_limits_exempt"
# One count per address for reader-data links, whether asked through the API or the page.
READER_DATA_EMAIL_SCOPE = "reader-data-email"
"""Name of the flask.g attribute that exempts the current request from every limit."""

_REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://", "valkey://", "valkeys://")


def _settings() -> Settings:
    return current_app.extensions["comments_settings"]


# ---- the limits, one provider per config key ---------------------------------------


def post_limit() -> str:
    return _settings().limits.post_per_client


def post_email_limit() -> str:
    return _settings().limits.post_per_email


def post_thread_limit() -> str:
    return _settings().limits.post_per_thread


def edit_limit() -> str:
    return _settings().limits.edit_per_client


def read_limit() -> str:
    return _settings().limits.read_per_client


def flag_limit() -> str:
    return _settings().limits.flag_per_client


def vote_limit() -> str:
    return _settings().limits.vote_per_client


def subscribe_limit() -> str:
    return _settings().limits.subscribe_per_client


def subscribe_email_limit() -> str:
    return _settings().limits.subscribe_per_email


# ---- keys ---------------------------------------------------------------------------


def _keyed(kind: str, value: str) -> str:
    secret = current_app.config["SECRET_KEY"]
    digest = hmac.new(secret.encode(), f"{kind}\n{value}".encode(), hashlib.sha256)
    return f"{kind}:{digest.hexdigest()[:32]}"


def client_key() -> str:
    """The client's limit key: its address (IPv6: its /64), keyed, after trusted proxies."""
    return "client:" + rate_key(client_address(), current_app.config["SECRET_KEY"])


def _body_field(name: str) -> str | None:
    """A non-blank string field of the JSON object (or HTML form) body, or None. Never raises.

    A key function that raised would look to Flask-Limiter like a storage failure,
    so a malformed or oversized body simply has no such field here; the view
    reports the real problem afterwards.
    """
    try:
        if request.mimetype == "application/x-www-form-urlencoded":
            value: Any = request.form.get(name)
        else:
            body: Any = request.get_json(silent=True)
            value = body.get(name) if isinstance(body, dict) else None
    except HTTPException:
        return None
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()


def normalize_email(email: str) -> str:
    """One form per mailbox for counting: trimmed, case-folded, "+tag" dropped.

    ``Ann+1@Example.com`` and ``ann@example.com`` reach the same inbox at most
    providers, so they share one count.
    """
    email = email.strip().casefold()
    local, at, domain = email.rpartition("@")
    if not at:
        return email
    return f"{local.split('+', 1)[0]}@{domain}"


def email_key(field: str) -> Callable[[], str]:
    """A key function counting per normalized email address in body field ``field``."""

    def key() -> str:
        value = _body_field(field)
        return _keyed("email", normalize_email(value)) if value else ""

    key.__name__ = f"email_key_{field}"
    return key


def lacks_field(field: str) -> Callable[[], bool]:
    """An exempt_when predicate: true when the JSON body has no such field to count by."""

    def lacks() -> bool:
        return _body_field(field) is None

    lacks.__name__ = f"lacks_{field}"
    return lacks


def thread_key() -> str:
    """The key of the thread a new comment goes to: the site in the URL + the body's article."""
    site = (request.view_args or {}).get("site_slug", "")
    article = _body_field("article")
    return _keyed("thread", f"{site}\n{article}") if article else ""


# ---- exemption ------------------------------------------------------------------------


def exempt_current_request() -> None:
    """Exempt the current request from every limit (call it after verifying a moderator)."""
    setattr(g, EXEMPT_FLAG, True)


def is_exempt_request() -> bool:
    return bool(g.get(EXEMPT_FLAG, False))


# ---- the limiter ----------------------------------------------------------------------


_RETRY_AFTER = "Retry-After"
_OWN_RETRY_AFTER = "comments_own_retry_after"


def _remember_own_retry_after(response: Response) -> Response:
    """Note the Retry-After the response had before Flask-Limiter's hook (e.g. a 503's)."""
    setattr(g, _OWN_RETRY_AFTER, response.headers.get(_RETRY_AFTER))
    return response


def _retry_after_only_on_429(response: Response) -> Response:
    """Flask-Limiter sets Retry-After on every limited response; only a 429 means it.

    On any other response, put back what the app itself said: nothing, or the
    Retry-After of, say, a 503 (which Flask-Limiter would have raised to its reset).
    """
    if response.status_code != 429:
        own = g.get(_OWN_RETRY_AFTER)
        if own is None:
            response.headers.pop(_RETRY_AFTER, None)
        else:
            response.headers[_RETRY_AFTER] = own
    return response


# Flask-Limiter keeps these on the Limiter instance and fills them from the first app's
# config only (or, for the last ones, from the storage's health). Values as __init__ sets.
_PER_APP_STATE: dict[str, Any] = {
    "_swallow_errors": None,
    "_fail_on_first_breach": None,
    "_headers_enabled": None,
    "_strategy": None,
    "_retry_after": None,
    "_key_prefix": "",
    "_request_identifier": None,
    "_in_memory_fallback_enabled": None,
    "_storage_dead": False,
    "_fallback_limiter": None,
    "_Limiter__check_backend_count": 0,
}


class AppLimiter(Limiter):
    """Flask-Limiter's Limiter, configured afresh by every ``init_app``.

    Routes register their limits on one module-level limiter at import time, as
    Flask-Limiter intends. But Flask-Limiter reads strategy, headers, error
    handling and fallback from the *first* app's config and keeps them, with
    whether its storage is dead, on the instance; with an app per test or per
    benchmark round, the first app's choices stuck. ``init_app`` here forgets them
    and keeps only the route registry. The last app initialized owns the limiter:
    one configured app per process, as under gunicorn.
    """

    def __init__(self, key_func: Callable[[], str]) -> None:
        super().__init__(key_func=key_func, default_limits=[])
        self.request_filter(is_exempt_request)

    def init_app(self, app: Flask) -> None:
        for name, value in _PER_APP_STATE.items():
            setattr(self, name, value)
        self._storage_options = {}
        self._header_mapping = {}
        self._in_memory_fallback = []
        # Flask runs after_request hooks last-registered first, so these two bracket
        # Flask-Limiter's own header hook: one notes the app's Retry-After before
        # it, the other restores it after.
        app.after_request(_retry_after_only_on_429)
        super().init_app(app)
        app.after_request(_remember_own_retry_after)


# Limits are declared per route with the providers above; storage, strategy and
# failure handling come from config when create_app binds it.
limiter = AppLimiter(key_func=client_key)


def storage_options(settings: Settings) -> dict[str, Any]:
    """Options for the limits storage: storage errors wrapped in one type; Redis timeouts."""
    options: dict[str, Any] = {"wrap_exceptions": True}
    if settings.limits.storage_uri.startswith(_REDIS_SCHEMES):
        options["socket_connect_timeout"] = settings.limits.storage_timeout_s
        options["socket_timeout"] = settings.limits.storage_timeout_s
    return options


def login_limit() -> str:
    return _settings().limits.login_per_client


def configure_limiter(app: Flask, settings: Settings) -> None:
    """Flask-Limiter's app.config keys from our [limits] section."""
    policy = settings.limits.on_storage_error
    app.config.update(
        RATELIMIT_ENABLED=settings.limits.enabled,
        RATELIMIT_STORAGE_URI=limit_storage.storage_uri(settings.limits.storage_uri),
        RATELIMIT_STORAGE_OPTIONS=storage_options(settings),
        RATELIMIT_STRATEGY=settings.limits.strategy,
        RATELIMIT_HEADERS_ENABLED=True,
        RATELIMIT_HEADER_RETRY_AFTER_VALUE="delta-seconds",
        RATELIMIT_KEY_PREFIX=settings.limits.key_prefix,
        # "fallback": count in memory while the storage is down (Flask-Limiter logs a
        # warning and re-checks the storage with a growing back-off).
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=policy == "fallback",
        # "allow": serve without limits; "refuse": the StorageError reaches errors.py (503).
        RATELIMIT_SWALLOW_ERRORS=policy in ("fallback", "allow"),
    )
