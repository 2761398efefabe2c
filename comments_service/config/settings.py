"""The typed sections of the settings and the bounds every module shares (config/__init__.py
re-exports them; config/loading.py reads the layers into them).

The defaults ship inside the package (comments_service/default.toml, read with
importlib.resources), so an installed wheel starts from any folder; config/default.toml
is the same file, kept where operators look for it (tests/test_packaging.py holds the two
identical).

Every section of ``config/default.toml`` is a frozen dataclass here and every key
a typed field, so a typo in a file or an environment variable fails at start-up
with a message naming it, instead of silently doing nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from importlib import resources

#: The defaults every setting starts from, as shipped in the package.
DEFAULT_CONFIG = resources.files("comments_service").joinpath("default.toml")
ENV_PREFIX = "COMMENTS_"


class ConfigError(ValueError):
    """A config file or environment variable names an unknown key or a bad value."""


# ---- hard bounds: not settings, but the ceilings that settings and input are held to ----
# Each has this one home; schemas, admin forms, models and services import it.

MAX_ROW_ID = 2**31 - 1
"""The largest id a row can have (32-bit columns): a larger id in a URL or body is unknown."""


def digits_up_to(bound: int) -> str:
    """A regex matching exactly the decimal numbers 0..bound (no sign, no leading zeros)."""
    text = str(bound)
    choices = [f"[1-9][0-9]{{0,{len(text) - 2}}}" if len(text) > 1 else "", "0"]
    for i, digit in enumerate(text):
        low = 1 if i == 0 else 0
        if int(digit) > low:
            rest = len(text) - i - 1
            choices.append(f"{text[:i]}[{low}-{int(digit) - 1}][0-9]{{{rest}}}")
    choices.append(text)
    return "(?:" + "|".join(c for c in choices if c) + ")"


# The decimal numbers 0..MAX_ROW_ID: the id converter of every route, headers that carry ids.
ROW_ID_DIGITS = digits_up_to(MAX_ROW_ID)


def as_row_id(text: str) -> int | None:
    """`text` as an id no larger than MAX_ROW_ID (0 included, a marker below every row), or
    None when it is not plain ASCII digits in that range."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ROW_ID)):
        return None
    value = int(text)
    return value if value <= MAX_ROW_ID else None


MAX_FLAG_THRESHOLD = 1000
"""A site's flag threshold is 0 (never hide) to this."""
MAX_BAN_SECONDS = 10 * 365 * 24 * 3600
"""A ban lasts at most ten years: longer is "until lifted", and a huge number is no date."""
# Column sizes of passage anchors; [passages] settings must stay within them.
MAX_PASSAGE_KEY = 100
MAX_PASSAGE_QUOTE = 2000
MAX_PASSAGE_CONTEXT = 200


@dataclass(frozen=True)
class ServerSettings:
    host: str
    port: int
    workers: int
    threads: int
    worker_class: str
    public_url: str
    environment: str
    trusted_proxy_hops: int
    max_url_bytes: int

    def __post_init__(self) -> None:
        _require_choice("server", "worker_class", self.worker_class, WORKER_CLASSES)


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
    front: bool


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
    form_token_required_for_browsers: bool
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
class CompressionSettings:
    enabled: bool
    min_bytes: int
    gzip_level: int
    brotli_quality: int
    static_gzip_level: int
    static_brotli_quality: int


@dataclass(frozen=True)
class ImportSettings:
    batch_size: int
    max_body_chars: int
    sanitize_processes: int

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.sanitize_processes < 0:
            raise ConfigError("importing: batch_size must be at least 1 and "
                              "sanitize_processes at least 0")


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
WORKER_CLASSES = ("gevent", "gthread")


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
            raise ConfigError("live.max_streams_per_process: 0 (sized by the server) or more")


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
        # The columns are the hard ceilings (the bounds above, used by models/passages.py).
        for key, ceiling in (("max_quote_chars", MAX_PASSAGE_QUOTE),
                             ("context_chars", MAX_PASSAGE_CONTEXT),
                             ("max_key_chars", MAX_PASSAGE_KEY)):
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


# ---- feeds ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedSettings:
    enabled: bool
    article_entries: int
    site_entries: int

    def __post_init__(self) -> None:
        if not 1 <= self.article_entries <= 500 or not 1 <= self.site_entries <= 500:
            raise ConfigError("feeds: article_entries and site_entries must be 1 to 500")


# ---- end feeds ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReaderSettings:
    """Readers who sign in (issue 21): token and link lives, the signed-in edit window."""

    token_hours: int
    flow_seconds: int
    email_link_seconds: int
    edit_window_seconds: int
    provider_timeout_seconds: int

    def __post_init__(self) -> None:
        if min(self.token_hours, self.flow_seconds, self.email_link_seconds,
               self.provider_timeout_seconds) < 1 or self.edit_window_seconds < 0:
            raise ConfigError("readers: lives and timeouts must be at least 1, "
                              "edit_window_seconds at least 0")


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
    compression: CompressionSettings
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
    feeds: FeedSettings
    readers: ReaderSettings

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
