"""Moderation: reader flags, moderators and their tokens, bans, the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from comments_service.extensions import db
from comments_service.models.core import (
    MAX_EMAIL,
    MAX_FLAG_TEXT,
    NEVER_REUSED_IDS,
    UTCDateTime,
)

# Reader flags, moderator accounts and their API tokens, bans, and the audit log.


class Flag(db.Model):
    """A reader's report of a comment: one per reader (network + browser token)."""

    __tablename__ = "flags"
    __table_args__ = (
        UniqueConstraint("comment_id", "client_hash", "reader_key"),
        CheckConstraint(
            "reason IN ('spam', 'abuse', 'off_topic', 'other')", name="reason_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(String(MAX_FLAG_TEXT))
    # Keyed hash of the reader's network (as Comment.client_hash).
    client_hash: Mapped[str] = mapped_column(String(64), default="")
    # SHA-256 of the widget's X-Reader-Token; "" when the reader sent none.
    reader_key: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set when a moderator approves the comment: the flag stays for the record.
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


moderator_sites = Table(
    "moderator_sites",
    db.metadata,
    Column("moderator_id", ForeignKey("moderators.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
)
"""Which sites each moderator may moderate."""


class Moderator(db.Model):
    __tablename__ = "moderators"
    __table_args__ = NEVER_REUSED_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lowercased: the login name.
    email: Mapped[str] = mapped_column(String(MAX_EMAIL), unique=True)
    # Argon2id (argon2-cffi), parameters inside the hash.
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ModeratorToken(db.Model):
    """An API bearer token; only its SHA-256 is stored (the token is shown once)."""

    __tablename__ = "moderator_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    moderator_id: Mapped[int] = mapped_column(
        ForeignKey("moderators.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Ban(db.Model):
    """An author barred from posting on a site, by email hash and/or network hash."""

    __tablename__ = "bans"
    __table_args__ = (
        CheckConstraint(
            "email_hash IS NOT NULL OR client_hash IS NOT NULL", name="has_target"
        ),
        Index("ix_bans_site_client", "site_id", "client_hash"),
        Index("ix_bans_site_email", "site_id", "email_hash"),
        NEVER_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    # Keyed hash of the normalized email (services/bans.py), never the address.
    email_hash: Mapped[str | None] = mapped_column(String(64))
    client_hash: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # None: until lifted.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderators.id", ondelete="SET NULL")
    )


class AuditEntry(db.Model):
    """One moderator (or automatic) action. Plain ids, not foreign keys, for what it
    touched: the record outlives a purged comment."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_site_id_id", "site_id", "id"), NEVER_REUSED_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    moderator_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderators.id", ondelete="SET NULL")
    )
    # Who, as they were called at the time: a moderator's email, or "auto".
    actor: Mapped[str] = mapped_column(String(MAX_EMAIL))
    action: Mapped[str] = mapped_column(String(32))
    comment_id: Mapped[int | None] = mapped_column(Integer, index=True)
    thread_id: Mapped[int | None] = mapped_column(Integer)
    ban_id: Mapped[int | None] = mapped_column(Integer)
    status_before: Mapped[str | None] = mapped_column(String(16))
    status_after: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ModerationLinkUse(db.Model):
    """An approve / hide link of a moderator notice that was used: each works once.

    Keyed by the link's random nonce (notify/tokens.py); the comment by plain id,
    so the record outlives a purged comment.
    """

    __tablename__ = "moderation_link_uses"

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    comment_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    used_at: Mapped[datetime] = mapped_column(UTCDateTime())
