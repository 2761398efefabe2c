"""The stored data, one module per area; every model and constant importable from here.

core: sites, threads, comments and their column types; then notifications, moderation,
reader_data, passages and votes. ``from comments_service.models import Comment`` keeps working.
"""

from __future__ import annotations

from comments_service.config import MAX_PASSAGE_CONTEXT, MAX_PASSAGE_KEY, MAX_PASSAGE_QUOTE
from comments_service.models.core import (
    MAX_ARTICLE_KEY,
    MAX_EMAIL,
    MAX_FLAG_TEXT,
    MAX_IMPORT_KEY,
    MAX_NAME,
    MAX_STATUS_REASON,
    MAX_TITLE,
    MAX_URL,
    PATH_SEGMENT_WIDTH,
    Comment,
    CommentStatus,
    FlagReason,
    Site,
    Thread,
    UTCDateTime,
    attach_loaded,
    path_segment,
)
from comments_service.models.identities import (
    Identity,
    ReaderToken,
    SignInLinkUse,
)
from comments_service.models.moderation import (
    AuditEntry,
    Ban,
    Flag,
    ModerationLinkUse,
    Moderator,
    ModeratorToken,
    moderator_sites,
)
from comments_service.models.notifications import (
    NotifyAddress,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    Subscription,
    SubscriptionMode,
)
from comments_service.models.passages import (
    PassageAnchor,
)
from comments_service.models.reader_data import (
    ReaderDataRequest,
)
from comments_service.models.votes import (
    Vote,
)

__all__ = [
    "MAX_ARTICLE_KEY",
    "MAX_EMAIL",
    "MAX_FLAG_TEXT",
    "MAX_IMPORT_KEY",
    "MAX_NAME",
    "MAX_PASSAGE_CONTEXT",
    "MAX_PASSAGE_KEY",
    "MAX_PASSAGE_QUOTE",
    "MAX_STATUS_REASON",
    "MAX_TITLE",
    "MAX_URL",
    "PATH_SEGMENT_WIDTH",
    "AuditEntry",
    "Ban",
    "Comment",
    "CommentStatus",
    "Flag",
    "FlagReason",
    "Identity",
    "ModerationLinkUse",
    "Moderator",
    "ModeratorToken",
    "NotifyAddress",
    "OutboxKind",
    "OutboxMessage",
    "OutboxStatus",
    "PassageAnchor",
    "ReaderDataRequest",
    "ReaderToken",
    "SignInLinkUse",
    "Site",
    "Subscription",
    "SubscriptionMode",
    "Thread",
    "UTCDateTime",
    "Vote",
    "attach_loaded",
    "moderator_sites",
    "path_segment",
]
