"""Typed settings: config/default.toml, then an optional TOML file, then COMMENTS_* env.

Every section of ``config/default.toml`` is a frozen dataclass here and every key
a typed field, so a typo in a file or an environment variable fails at start-up
with a message naming it, instead of silently doing nothing.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent.parent / "config" / "default.toml"
ENV_PREFIX = "COMMENTS_"


class ConfigError(ValueError):
    """A config file or environment variable names an unknown key or a bad value."""


@dataclass(frozen=True)
class ServerSettings:
    host: str
    port: int
    workers: int
    threads: int
    public_url: str
    environment: str
    trusted_proxy_hops: int
    max_url_bytes: int


@dataclass(frozen=True)
class DatabaseSettings:
    url: str
    sqlite_busy_timeout_ms: int
    pool_size: int
    max_overflow: int
    pool_timeout_s: int
    connect_timeout_s: int
    statement_timeout_ms: int
    echo: bool
    site_cache_seconds: float


@dataclass(frozen=True)
class SecuritySettings:
    secret_key: str = field(repr=False)


@dataclass(frozen=True)
class CommentSettings:
    max_request_bytes: int
    max_body_chars: int
    max_name_chars: int
    max_email_chars: int
    max_website_chars: int
    max_article_key_chars: int
    max_title_chars: int
    max_url_chars: int
    max_depth: int
    edit_window_seconds: int
    require_name: bool
    require_email: bool
    anonymous_name: str


@dataclass(frozen=True)
class ThreadSettings:
    page_size: int
    max_page_size: int
    replies_per_comment: int
    max_replies_page_size: int
    page_cache_bytes: int


@dataclass(frozen=True)
class CountSettings:
    max_articles: int


LIMIT_STRATEGIES = ("fixed-window", "moving-window", "sliding-window-counter")
STORAGE_ERROR_POLICIES = ("fallback", "allow", "refuse")
SPAM_ACTIONS = ("reject", "hold")


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"{name}: {value!r} is not one of {', '.join(choices)}")


@dataclass(frozen=True)
class LimitSettings:
    enabled: bool
    storage_uri: str
    strategy: str
    key_prefix: str
    on_storage_error: str
    storage_timeout_s: float
    post_per_client: str
    post_per_email: str
    post_per_thread: str
    edit_per_client: str
    read_per_client: str
    flag_per_client: str
    subscribe_per_client: str
    subscribe_per_email: str
    login_per_client: str
    vote_per_client: str

    def __post_init__(self) -> None:
        from limits import parse_many

        _check_choice("limits.strategy", self.strategy, LIMIT_STRATEGIES)
        _check_choice("limits.on_storage_error", self.on_storage_error, STORAGE_ERROR_POLICIES)
        for f in dataclasses.fields(self):
            if f.name.endswith(("_per_client", "_per_email", "_per_thread")):
                try:
                    parse_many(getattr(self, f.name))
                except ValueError as exc:
                    raise ConfigError(f"limits.{f.name}: {exc}") from exc


@dataclass(frozen=True)
class SpamSettings:
    enabled: bool
    action: str
    form_token_required: bool
    form_token_min_seconds: int
    form_token_max_age_seconds: int
    max_links: int
    blocked_words: tuple[str, ...]
    duplicate_window_seconds: int
    checker_url: str
    checker_key: str = field(repr=False)
    checker_timeout_s: float
    checker_sends_address: bool

    def __post_init__(self) -> None:
        _check_choice("spam.action", self.action, SPAM_ACTIONS)
        if self.form_token_min_seconds >= self.form_token_max_age_seconds:
            raise ConfigError(
                "spam.form_token_min_seconds must be below form_token_max_age_seconds"
            )
        if self.checker_url and not self.checker_url.startswith(("http://", "https://")):
            raise ConfigError("spam.checker_url must be an http:// or https:// URL")
        if self.checker_timeout_s <= 0:
            raise ConfigError("spam.checker_timeout_s must be positive")


# ---- notifications (issue 5) ----------------------------------------------------

NOTIFY_WORKERS = ("thread", "none")
MAIL_TRANSPORTS = ("smtp", "file", "console")
SMTP_SECURITY = ("none", "starttls", "ssl")


def _require_choice(section: str, key: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"{section}.{key}: {value!r} is not one of {', '.join(choices)}")


@dataclass(frozen=True)
class NotificationSettings:
    enabled: bool
    worker: str
    transport: str
    mail_dir: str
    from_address: str
    from_name: str
    message_id_domain: str
    unsubscribe_mailto: str
    moderator_addresses: tuple[str, ...]
    confirmation_resend_seconds: int
    confirmation_max_age_seconds: int
    moderation_link_max_age_seconds: int
    max_attempts: int
    retry_base_seconds: int
    retry_max_seconds: int
    lease_seconds: int
    batch_size: int
    poll_interval_seconds: float
    webhook_timeout_seconds: int
    retention_days: int

    def __post_init__(self) -> None:
        _require_choice("notifications", "worker", self.worker, NOTIFY_WORKERS)
        if self.transport:
            _require_choice("notifications", "transport", self.transport, MAIL_TRANSPORTS)
        if self.max_attempts < 1 or self.batch_size < 1 or self.lease_seconds < 1:
            raise ConfigError("notifications: max_attempts, batch_size and lease_seconds "
                              "must be at least 1")
        if self.retention_days < 0:
            raise ConfigError("notifications: retention_days must be 0 (keep) or more")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    ca_file: str
    username: str
    password: str = field(repr=False)
    timeout_seconds: int

    def __post_init__(self) -> None:
        _require_choice("smtp", "security", self.security, SMTP_SECURITY)


# ---- end notifications -------------------------------------------------------------


@dataclass(frozen=True)
class ObservabilitySettings:
    log_format: str
    log_level: str
    metrics_enabled: bool
    metrics_allowed_clients: tuple[str, ...]
    unavailable_retry_after_s: int


@dataclass(frozen=True)
class WidgetSettings:
    max_age_seconds: int


@dataclass(frozen=True)
class ImportSettings:
    batch_size: int
    max_body_chars: int


@dataclass(frozen=True)
class ModerationSettings:
    flag_threshold: int
    max_flag_text_chars: int
    max_note_chars: int
    queue_page_size: int
    audit_page_size: int
    max_page_size: int
    max_bulk: int
    min_password_chars: int
    password_time_cost: int
    password_memory_kib: int
    password_parallelism: int
    session_hours: int


@dataclass(frozen=True)
class PrivacySettings:
    enabled: bool
    link_max_age_seconds: int
    resend_seconds: int

    def __post_init__(self) -> None:
        if self.link_max_age_seconds < 60 or self.resend_seconds < 0:
            raise ConfigError("privacy: link_max_age_seconds must be at least 60 and "
                              "resend_seconds at least 0")


@dataclass(frozen=True)
class DemoSettings:
    enabled: bool
    site: str


# ---- live updates (issue 9) ---------------------------------------------------------

LIVE_BACKENDS = ("auto", "memory", "redis")


@dataclass(frozen=True)
class LiveSettings:
    enabled: bool
    backend: str
    redis_url: str
    channel_prefix: str
    heartbeat_seconds: float
    max_stream_seconds: float
    poll_seconds: float
    max_streams_per_client: int
    max_streams_per_process: int
    queue_size: int
    replay_limit: int

    def __post_init__(self) -> None:
        _require_choice("live", "backend", self.backend, LIVE_BACKENDS)
        if min(self.heartbeat_seconds, self.max_stream_seconds, self.poll_seconds) <= 0:
            raise ConfigError("live: heartbeat, stream and poll seconds must be positive")
        if min(self.max_streams_per_client, self.queue_size, self.replay_limit) < 1:
            raise ConfigError("live: max_streams_per_client, queue_size and replay_limit "
                              "must be at least 1")
        if self.max_streams_per_process < 0:
            raise ConfigError("live.max_streams_per_process: 0 (half the threads) or more")


# ---- end live updates ----------------------------------------------------------------


@dataclass(frozen=True)
class PassageSettings:
    """Inline feedback on article passages (services/passages.py)."""

    enabled: bool
    max_quote_chars: int
    context_chars: int
    max_key_chars: int
    auto_paragraphs: bool

    def __post_init__(self) -> None:
        # The columns are the hard ceilings (models.py); imported here, not at the
        # top, so loading settings never needs the database layer.
        from comments_service import models

        for key, ceiling in (("max_quote_chars", models.MAX_PASSAGE_QUOTE),
                             ("context_chars", models.MAX_PASSAGE_CONTEXT),
                             ("max_key_chars", models.MAX_PASSAGE_KEY)):
            value = getattr(self, key)
            if not 1 <= value <= ceiling:
                raise ConfigError(f"passages.{key}: {value} is not between 1 and {ceiling}")


# ---- votes --------------------------------------------------------------------------


@dataclass(frozen=True)
class VoteSettings:
    enabled: bool
    downvotes: bool
    per_address: int
    max_lookup_ids: int

    def __post_init__(self) -> None:
        if self.per_address < 0:
            raise ConfigError("votes.per_address must be 0 (no cap) or more")
        if self.max_lookup_ids < 1:
            raise ConfigError("votes.max_lookup_ids must be at least 1")


# ---- end votes ----------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    server: ServerSettings
    database: DatabaseSettings
    security: SecuritySettings
    comments: CommentSettings
    threads: ThreadSettings
    counts: CountSettings
    limits: LimitSettings
    observability: ObservabilitySettings
    widget: WidgetSettings
    notifications: NotificationSettings
    smtp: SmtpSettings
    importing: ImportSettings
    spam: SpamSettings
    moderation: ModerationSettings
    privacy: PrivacySettings
    demo: DemoSettings
    live: LiveSettings
    passages: PassageSettings
    votes: VoteSettings

    @property
    def is_production(self) -> bool:
        return self.server.environment == "production"

    @property
    def mail_transport(self) -> str:
        """notifications.transport, or its default: "file" in development, "smtp" in production."""
        if self.notifications.transport:
            return self.notifications.transport
        return "smtp" if self.is_production else "file"

    @property
    def public_base_url(self) -> str:
        """Base of links the service writes where no request is at hand (emails, webhooks).

        server.public_url when set; otherwise the address `serve` listens on, which is
        right for development only (create_app refuses production without public_url
        while notifications are on).
        """
        if self.server.public_url:
            return self.server.public_url.rstrip("/")
        return f"http://{self.server.host}:{self.server.port}"

    @property
    def is_development(self) -> bool:
        return self.server.environment == "development"


def _section_types() -> dict[str, type]:
    hints = typing.get_type_hints(Settings)
    return {name: hints[name] for name in (f.name for f in dataclasses.fields(Settings))}


def _merge(base: dict[str, dict[str, Any]], layer: Mapping[str, Any], origin: str) -> None:
    sections = _section_types()
    for section, values in layer.items():
        if section not in sections:
            raise ConfigError(f"{origin}: unknown section [{section}]")
        if not isinstance(values, Mapping):
            raise ConfigError(f"{origin}: [{section}] must be a table")
        known = {f.name for f in dataclasses.fields(sections[section])}
        for key, value in values.items():
            if key not in known:
                raise ConfigError(f"{origin}: unknown key {section}.{key}")
            base.setdefault(section, {})[key] = value


def _coerce(raw: str, target: Any, name: str) -> Any:
    """Turn an environment variable's text into the field's type."""
    try:
        if target is bool:
            lowered = raw.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
        if target is int:
            return int(raw)
        if target is float:
            return float(raw)
        if typing.get_origin(target) in (list, tuple):
            return json.loads(raw) if raw.strip().startswith("[") else [
                part.strip() for part in raw.split(",") if part.strip()
            ]
    except ValueError as exc:
        raise ConfigError(f"{name}: cannot read {raw!r} as {target}") from exc
    return raw


def _env_layer(environ: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    layer: dict[str, dict[str, Any]] = {}
    for section, section_type in _section_types().items():
        hints = typing.get_type_hints(section_type)
        for f in dataclasses.fields(section_type):
            name = f"{ENV_PREFIX}{section.upper()}_{f.name.upper()}"
            if name in environ:
                layer.setdefault(section, {})[f.name] = _coerce(environ[name], hints[f.name], name)
    return layer


def _check_type(value: Any, target: Any, name: str) -> Any:
    if target is bool:
        ok = isinstance(value, bool)
    elif target is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif target is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif target is str:
        ok = isinstance(value, str)
    elif typing.get_origin(target) in (list, tuple) or isinstance(target, types.GenericAlias):
        ok = isinstance(value, list | tuple)
        value = tuple(value) if ok else value
    else:
        ok = True
    if not ok:
        raise ConfigError(f"{name}: expected {target}, got {value!r}")
    return value


def load_settings(
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    environ: Mapping[str, str] | None = None,
    path: Path | None = None,
) -> Settings:
    """Build Settings from the defaults file, COMMENTS_CONFIG, COMMENTS_* env, then overrides.

    Raises ConfigError naming the offending key for unknown keys or wrong types.
    """
    environ = os.environ if environ is None else environ
    with (path or DEFAULT_CONFIG_PATH).open("rb") as fh:
        merged: dict[str, dict[str, Any]] = {}
        _merge(merged, tomllib.load(fh), str(path or DEFAULT_CONFIG_PATH))
    extra = environ.get(f"{ENV_PREFIX}CONFIG")
    if extra:
        try:
            with Path(extra).open("rb") as fh:
                _merge(merged, tomllib.load(fh), extra)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{ENV_PREFIX}CONFIG={extra}: {exc}") from exc
    _merge(merged, _env_layer(environ), "environment")
    if overrides:
        _merge(merged, overrides, "overrides")

    sections: dict[str, Any] = {}
    for section, section_type in _section_types().items():
        hints = typing.get_type_hints(section_type)
        values = merged.get(section, {})
        kwargs = {}
        for f in dataclasses.fields(section_type):
            if f.name not in values:
                raise ConfigError(f"missing key {section}.{f.name} in the defaults file")
            kwargs[f.name] = _check_type(values[f.name], hints[f.name], f"{section}.{f.name}")
        sections[section] = section_type(**kwargs)
    return Settings(**sections)


def replace_section(settings: Settings, section: str, **changes: Any) -> Settings:
    """A copy of settings with some keys of one section changed (tests, CLI flags)."""
    return dataclasses.replace(
        settings, **{section: dataclasses.replace(getattr(settings, section), **changes)}
    )
