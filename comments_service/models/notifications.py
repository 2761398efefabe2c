"""Notifications (issue 5): consent, subscriptions, the outbox."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from comments_service.extensions import db
from comments_service.models.core import (
    MAX_EMAIL,
    MAX_URL,
    NEVER_REUSED_IDS,
    Comment,
    UTCDateTime,
)


class SubscriptionMode(enum.StrEnum):
    REPLIES = "replies"  # replies to the subscriber's own comments in the thread
    ALL = "all"  # every new comment in the thread


class OutboxKind(enum.StrEnum):
    COMMENT = "comment"  # a new comment, to one subscriber
    CONFIRM = "confirm"  # the double opt-in link, to an unconfirmed address
    MODERATOR = "moderator"  # a pending or flagged comment, to a moderator address
    WEBHOOK = "webhook"  # a new comment, to one of the site's webhook URLs
    READER_DATA = "reader_data"  # a reader's link to their own comments on a site
    SIGN_IN = "sign_in"  # readers (issue 21): a single-use link that signs a reader in


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"  # max_attempts tries failed; `comments-service outbox retry ID`
    CANCELLED = "cancelled"  # no longer to be sent (comment gone, unsubscribed)


class NotifyAddress(db.Model):
    """Consent of one email address, known only by a keyed hash of it.

    An address gets nothing but a confirmation email until confirmed_at is set
    (double opt-in); confirming once covers every later subscription.
    """

    __tablename__ = "notify_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    # HMAC-SHA256 of the lower-cased address with the secret key (hex).
    address_hash: Mapped[str] = mapped_column(String(64), unique=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The last confirmation email queued; limits how often one is sent again.
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Subscription(db.Model):
    """One address following one thread: all new comments, or replies to its own."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("thread_id", "address_hash"),
        CheckConstraint("mode IN ('replies', 'all')", name="mode_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    # Never serialized; needed to send. address_hash joins it to its consent.
    email: Mapped[str] = mapped_column(String(MAX_EMAIL))
    address_hash: Mapped[str] = mapped_column(String(64), index=True)
    mode: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The reader's language when they subscribed (the widget's; languages.LANGUAGES):
    # every mail about this subscription is written in it. NULL: the site's default.
    language: Mapped[str | None] = mapped_column(String(16))


class OutboxMessage(db.Model):
    """A notification to deliver, written in the transaction of what caused it.

    Workers claim due rows (FOR UPDATE SKIP LOCKED on PostgreSQL, plus a
    claimed_at lease on every backend), send, then mark them sent; a failure
    moves next_attempt_at back exponentially until max_attempts, then "dead".
    """

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'sent', 'dead', 'cancelled')", name="status_known"
        ),
        CheckConstraint(
            "kind IN ('comment', 'confirm', 'moderator', 'webhook', 'reader_data', 'sign_in')",
            name="kind_known",
        ),
        # The claim: due pending rows, oldest first; also lists dead rows.
        Index("ix_outbox_due", "status", "next_attempt_at", "id"),
        NEVER_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # One row per (cause, recipient): enqueueing the same thing twice adds nothing.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    # An email address or a webhook URL.
    recipient: Mapped[str] = mapped_column(String(MAX_URL))
    # Ids the sender needs (comment_id, thread_id, address_hash, reason); the
    # message itself is composed at send time from the current rows.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claim_token: Mapped[str | None] = mapped_column(String(32), index=True)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# Oldest first is pinned-descending, then time-ascending: mixed directions need
# their own index (declared here, where the columns exist, for .desc()).
Index(
    "ix_comments_top_pinned_oldest",
    Comment.thread_id,
    Comment.depth,
    Comment.is_pinned.desc(),
    Comment.created_at,
    Comment.id,
)


# Readers' own data (services/reader_data.py) finds an address's comments whatever its
# letter case: the lookup a public request triggers must not read a site's every comment.
Index("ix_comments_email_lower", func.lower(Comment.author_email))
