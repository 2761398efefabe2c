"""The stored data: sites, their threads, and the comments in each thread.

A comment's place in the tree is kept three ways, each serving one query:
``parent_id`` (the comment it hangs under), ``root_id`` (the top-level comment
of its branch: a page fetches its replies by root) and ``path`` (fixed-width
ids from the root down: ordering a branch by path gives depth-first order,
so the first N rows of a branch are always a connected tree).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, Session, make_transient_to_detached, mapped_column, relationship
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.types import TypeDecorator

from comments_service.extensions import db

# Column sizes are hard ceilings; config/default.toml sets the (lower) limits
# readers meet, and config.py refuses limits above these.
MAX_ARTICLE_KEY = 1000
MAX_TITLE = 1000
MAX_URL = 2048
MAX_NAME = 255
MAX_EMAIL = 320
MAX_IMPORT_KEY = 200
MAX_STATUS_REASON = 200
MAX_FLAG_TEXT = 2000

PATH_SEGMENT_WIDTH = 10
"""Digits per id in Comment.path; 10 digits cover ids up to 9,999,999,999."""


_Model = TypeVar("_Model", bound=db.Model)


def attach_loaded(session: Session, model: type[_Model], values: Mapping[str, Any]) -> _Model:
    """A persistent object of ``session`` holding ``values`` (its primary key among them),
    as if the ORM had just loaded it from its row, without a query.

    Its values are set as loading sets them, into the instance's dict, with no history;
    a column not in ``values`` is expired (read on first use). Building it through the
    constructor instead (attribute events and history, then the history reset) cost
    about three times as much (profiled). Raises InvalidRequestError when the session
    already holds an object with that primary key. For models without Python-side
    constructor logic, mutable-tracked columns or relationships to fill (Site, Comment).
    """
    instance = model.__mapper__.class_manager.new_instance()
    state = instance_state(instance)
    state.dict.update(values)
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


class CommentStatus(enum.StrEnum):
    VISIBLE = "visible"
    PENDING = "pending"
    HIDDEN = "hidden"
    DELETED = "deleted"


class FlagReason(enum.StrEnum):
    SPAM = "spam"
    ABUSE = "abuse"
    OFF_TOPIC = "off_topic"
    OTHER = "other"


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone; PostgreSQL does)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def path_segment(comment_id: int) -> str:
    return str(comment_id).zfill(PATH_SEGMENT_WIDTH)


class Site(db.Model):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Origins (scheme://host[:port]) whose pages may embed the widget and write.
    allowed_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Per-site switches layered over the service defaults (see services/sites.py).
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Thread(db.Model):
    __tablename__ = "threads"
    __table_args__ = (UniqueConstraint("site_id", "article_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    article_key: Mapped[str] = mapped_column(String(MAX_ARTICLE_KEY))
    title: Mapped[str | None] = mapped_column(String(MAX_TITLE))
    url: Mapped[str | None] = mapped_column(String(MAX_URL))
    is_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    # Every new comment waits as pending until a moderator approves it.
    is_premoderated: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Kept current at write time so reads and count badges never count rows.
    total_count: Mapped[int] = mapped_column(Integer, default=0)
    visible_count: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped by every change to the thread or its comments; feeds the ETag.
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_comment_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    site: Mapped[Site] = relationship(lazy="raise")


class Comment(db.Model):
    __tablename__ = "comments"
    __table_args__ = (
        CheckConstraint(
            "status IN ('visible', 'pending', 'hidden', 'deleted')", name="status_known"
        ),
        CheckConstraint("depth >= 0", name="depth_non_negative"),
        # A page of top-level comments, pinned first. Newest first reads this index
        # backwards, (is_pinned, created_at, id) all descending.
        Index("ix_comments_top_by_time", "thread_id", "depth", "is_pinned", "created_at", "id"),
        # (Oldest first has its own index, ix_comments_top_pinned_oldest, below.)
        # The same page ranked by votes (rank: Wilson lower bound, see services/votes.py),
        # read backwards.
        Index(
            "ix_comments_top_by_rank",
            "thread_id", "depth", "is_pinned", "rank", "created_at", "id",
        ),
        # The moderation queue: pending comments, and flagged ones.
        Index("ix_comments_status", "status"),
        Index("ix_comments_flag_count", "flag_count"),
        # A branch in depth-first order, for replies under a page of top-level comments.
        Index("ix_comments_branch", "root_id", "path"),
        # importers: one row per source comment and thread; import_key first, so the
        # importer's "already imported?" lookup by key (joined to the site) uses it.
        UniqueConstraint("import_key", "thread_id"),
        # Recent comments of one author, by client or by email: the duplicate rule
        # (services/spam.py) looks them up in one query.
        Index("ix_comments_client_recent", "client_hash", "created_at"),
        Index("ix_comments_email_recent", "author_email", "created_at"),
        # Moderators' search (services/search.py): newest first by keyset, date ranges.
        Index("ix_comments_created_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    # The comment the reader pressed "reply" on; differs from parent_id only when
    # the depth cap moved the reply up beside it.
    reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="SET NULL"), index=True
    )
    # Top-level ancestor (itself for a top-level comment); set right after insert.
    root_id: Mapped[int | None] = mapped_column(Integer)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    path: Mapped[str] = mapped_column(String(255), default="")

    author_name: Mapped[str | None] = mapped_column(String(MAX_NAME))
    # Never serialized to the public; used only for notifications and moderation.
    author_email: Mapped[str | None] = mapped_column(String(MAX_EMAIL))
    author_website: Mapped[str | None] = mapped_column(String(MAX_URL))
    # Keyed hash of the author's email (or name) for drawing an avatar locally:
    # stable per author, and unlike an unsalted email hash it reveals nothing.
    avatar_seed: Mapped[str] = mapped_column(String(32), default="")

    body_markdown: Mapped[str] = mapped_column(Text, default="")
    # Rendered and sanitized once, at write time (sanitize.render).
    body_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=CommentStatus.VISIBLE.value)
    # Why a moderator (or the flag threshold) gave it its status; moderators only.
    status_reason: Mapped[str | None] = mapped_column(String(MAX_STATUS_REASON))
    # Net votes (upvotes - downvotes), shown to readers; imported comments bring theirs.
    score: Mapped[int] = mapped_column(Integer, default=0)
    # votes: counters kept at write time (services/votes.py), and the rank the top
    # sort orders by: the Wilson lower bound of the up share, times 1e6, as an integer.
    upvotes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    downvotes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rank: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A pinned top-level comment sorts first on every sort.
    is_pinned: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Reader flags not yet cleared by a moderator's approval.
    flag_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    # Direct children still stored, whatever their status: a non-visible comment
    # with children stays in the public tree as a placeholder.
    child_count: Mapped[int] = mapped_column(Integer, default=0)
    # Visible descendants; kept on top-level comments for "show N more replies".
    reply_count: Mapped[int] = mapped_column(Integer, default=0)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Keyed hash of the anonymized client address (clients.hash_address).
    client_hash: Mapped[str | None] = mapped_column(String(64))
    # SHA-256 of the edit token handed to the author once, at creation.
    edit_token_hash: Mapped[str | None] = mapped_column(String(64))
    # importers: where an imported comment came from ("disqus:123", "isso:7"), so that
    # running the same import again adds nothing; None for comments posted here.
    import_key: Mapped[str | None] = mapped_column(String(MAX_IMPORT_KEY))

    @property
    def is_visible(self) -> bool:
        return self.status == CommentStatus.VISIBLE.value


# ---- notifications (issue 5): consent, subscriptions, the outbox ------------------


class SubscriptionMode(enum.StrEnum):
    REPLIES = "replies"  # replies to the subscriber's own comments in the thread
    ALL = "all"  # every new comment in the thread


class OutboxKind(enum.StrEnum):
    COMMENT = "comment"  # a new comment, to one subscriber
    CONFIRM = "confirm"  # the double opt-in link, to an unconfirmed address
    MODERATOR = "moderator"  # a pending or flagged comment, to a moderator address
    WEBHOOK = "webhook"  # a new comment, to one of the site's webhook URLs
    READER_DATA = "reader_data"  # a reader's link to their own comments on a site


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
            "kind IN ('comment', 'confirm', 'moderator', 'webhook', 'reader_data')",
            name="kind_known",
        ),
        # The claim: due pending rows, oldest first; also lists dead rows.
        Index("ix_outbox_due", "status", "next_attempt_at", "id"),
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


# ---- moderation -------------------------------------------------------------------
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
    __table_args__ = (Index("ix_audit_log_site_id_id", "site_id", "id"),)

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


# ---- readers' own data ------------------------------------------------------------


class ReaderDataRequest(db.Model):
    """A reader's request for a link to every comment they posted on one site.

    The link is mailed to the address (through the outbox) and works until
    expires_at; it carries this row's id and nonce, signed, so deleting the row
    or changing its nonce kills every link made for it. The address is kept only
    while the request lives (workers delete expired rows hourly).
    """

    __tablename__ = "reader_data_requests"
    __table_args__ = (Index("ix_reader_data_requests_expires_at", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(MAX_EMAIL))
    # Keyed hash of the lower-cased address: finds this address's open request.
    address_hash: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the reader erased their comments through the link (it then stops working).
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# ---- passages (issue 9): inline feedback anchored to a passage of the article -----

MAX_PASSAGE_KEY = 100
MAX_PASSAGE_QUOTE = 2000
MAX_PASSAGE_CONTEXT = 200


class PassageAnchor(db.Model):
    """Where in the article a top-level comment belongs: a passage and a quote in it.

    The quote with a little text before and after it (the W3C Web Annotation
    TextQuoteSelector: exact, prefix, suffix) lets the widget find the place again
    after small edits to the article. Plain text, never rendered as HTML. Replies
    belong to their root's passage and have no row of their own; thread_id is
    copied from the comment so per-passage counts of a thread read one index.
    """

    __tablename__ = "passage_anchors"
    __table_args__ = (Index("ix_passage_anchors_thread_key", "thread_id", "passage_key"),)

    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    passage_key: Mapped[str] = mapped_column(String(MAX_PASSAGE_KEY))
    quote: Mapped[str] = mapped_column(String(MAX_PASSAGE_QUOTE))
    prefix: Mapped[str] = mapped_column(String(MAX_PASSAGE_CONTEXT), default="")
    suffix: Mapped[str] = mapped_column(String(MAX_PASSAGE_CONTEXT), default="")


# ---- votes ------------------------------------------------------------------------


class Vote(db.Model):
    """One reader's up (+1) or down (-1) vote on one comment (services/votes.py)."""

    __tablename__ = "votes"
    __table_args__ = (
        UniqueConstraint("comment_id", "voter_key"),
        CheckConstraint("value IN (1, -1)", name="value_known"),
        # A reader's own votes, looked up by the ids of the comments on their page.
        Index("ix_votes_voter_key", "voter_key", "comment_id"),
        # How many readers of one client address voted on a comment ([votes] per_address).
        Index("ix_votes_comment_address", "comment_id", "address_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    # HMAC-SHA256 (secret key) of the widget's X-Reader-Token: never the token itself.
    voter_key: Mapped[str] = mapped_column(String(64))
    # Keyed hash of the client's address (clients.rate_key): a cap per address, so
    # clearing localStorage does not buy unlimited votes.
    address_key: Mapped[str] = mapped_column(String(64), default="")
    value: Mapped[int] = mapped_column(Integer)
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
