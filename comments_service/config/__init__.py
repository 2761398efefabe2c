"""Typed settings: the packaged defaults, then an optional TOML file, then COMMENTS_* env.

The defaults ship inside the package (comments_service/default.toml, read with
importlib.resources), so an installed wheel starts from any folder; config/default.toml
is the same file, kept where operators look for it (tests/test_packaging.py holds the two
identical).

Every section of ``config/default.toml`` is a frozen dataclass here and every key
a typed field, so a typo in a file or an environment variable fails at start-up
with a message naming it, instead of silently doing nothing.

The sections and bounds live in config/settings.py, reading the layers in
config/loading.py; both are importable from here.
"""

from __future__ import annotations

from comments_service.config.loading import load_settings, replace_section
from comments_service.config.settings import (
    DEFAULT_CONFIG,
    ENV_PREFIX,
    LIMIT_STRATEGIES,
    LIVE_BACKENDS,
    MAIL_TRANSPORTS,
    MAX_BAN_SECONDS,
    MAX_FLAG_THRESHOLD,
    MAX_PASSAGE_CONTEXT,
    MAX_PASSAGE_KEY,
    MAX_PASSAGE_QUOTE,
    MAX_ROW_ID,
    NOTIFY_WORKERS,
    ROW_ID_DIGITS,
    SMTP_SECURITY,
    SPAM_ACTIONS,
    STORAGE_ERROR_POLICIES,
    CommentSettings,
    CompressionSettings,
    ConfigError,
    CountSettings,
    DatabaseSettings,
    DemoSettings,
    FeedSettings,
    ImportSettings,
    LimitSettings,
    LiveSettings,
    ModerationSettings,
    NotificationSettings,
    ObservabilitySettings,
    PassageSettings,
    PrivacySettings,
    ReaderSettings,
    SecuritySettings,
    ServerSettings,
    Settings,
    SmtpSettings,
    SpamSettings,
    ThreadSettings,
    VoteSettings,
    WidgetSettings,
    as_row_id,
    digits_up_to,
)

__all__ = [
    "DEFAULT_CONFIG",
    "ENV_PREFIX",
    "LIMIT_STRATEGIES",
    "LIVE_BACKENDS",
    "MAIL_TRANSPORTS",
    "MAX_BAN_SECONDS",
    "MAX_FLAG_THRESHOLD",
    "MAX_PASSAGE_CONTEXT",
    "MAX_PASSAGE_KEY",
    "MAX_PASSAGE_QUOTE",
    "MAX_ROW_ID",
    "NOTIFY_WORKERS",
    "ROW_ID_DIGITS",
    "SMTP_SECURITY",
    "SPAM_ACTIONS",
    "STORAGE_ERROR_POLICIES",
    "CommentSettings",
    "CompressionSettings",
    "ConfigError",
    "CountSettings",
    "DatabaseSettings",
    "DemoSettings",
    "FeedSettings",
    "ImportSettings",
    "LimitSettings",
    "LiveSettings",
    "ModerationSettings",
    "NotificationSettings",
    "ObservabilitySettings",
    "PassageSettings",
    "PrivacySettings",
    "ReaderSettings",
    "SecuritySettings",
    "ServerSettings",
    "Settings",
    "SmtpSettings",
    "SpamSettings",
    "ThreadSettings",
    "VoteSettings",
    "WidgetSettings",
    "as_row_id",
    "digits_up_to",
    "load_settings",
    "replace_section",
]
