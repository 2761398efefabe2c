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
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, Session, make_transient_to_detached, mapped_column, relationship
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.types import TypeDecorator

from comments_service.extensions import db

# Column sizes are hard ceilings; config/default.toml sets the (lower) limits
# readers meet, and config/ refuses limits above these.
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


# Ids that leave the service (API answers, Message-IDs, signed links, live events, admin
# sessions and URLs) must never name a second row. PostgreSQL's identity sequences never
# hand a number back; SQLite reuses the largest rowid after that row is deleted unless the
# table is AUTOINCREMENT. Migration 0009_autoincrement rebuilt existing SQLite tables so.
NEVER_REUSED_IDS = {"sqlite_autoincrement": True}


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
    __table_args__ = (UniqueConstraint("site_id", "article_key"), NEVER_REUSED_IDS)

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
        NEVER_REUSED_IDS,
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
    # readers (issue 21): the signed-in reader who wrote it (models/identities.py), and
    # their avatar's URL then; None for anonymous comments. A plain indexed id, not a
    # foreign key: SQLite adds a foreign key only by rebuilding the whole table, and
    # erasing an identity clears it here (services/readers.py).
    identity_id: Mapped[int | None] = mapped_column(Integer, index=True)
    author_picture: Mapped[str | None] = mapped_column(String(MAX_URL))

    @property
    def is_visible(self) -> bool:
        return self.status == CommentStatus.VISIBLE.value
