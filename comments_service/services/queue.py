"""The moderation queue: what waits for a moderator, with the context to decide.

An item is a comment with its article, the comment it answers, and its flags
and their reasons. A page is two queries whatever its size: the comments
joined to their thread, site and parent, then the flags of just those comments.
Pages go by keyset (never OFFSET): most flagged first, or newest first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, and_, func, or_, select, tuple_
from sqlalchemy.orm import Session, aliased

from comments_service.errors import CommentNotFound, InvalidCursor
from comments_service.models import Comment, CommentStatus, Flag, Identity, Site, Thread
from comments_service.services.moderators import Actor

QueueState = Literal["all", "pending", "flagged", "hidden"]
QueueSort = Literal["flags", "newest"]
QUEUE_STATES: tuple[QueueState, ...] = ("all", "pending", "flagged", "hidden")
QUEUE_SORTS: tuple[QueueSort, ...] = ("flags", "newest")


@dataclass(frozen=True)
class FlagInfo:
    reason: str
    text: str | None
    created_at: datetime
    is_cleared: bool


@dataclass(frozen=True)
class AuthorInfo:
    """Who wrote a queued comment, as a moderator sees them (email included)."""

    name: str | None
    email: str | None
    website: str | None
    # readers (issue 21): the signed-in author's identity and the way they signed in with.
    identity: int | None = None
    provider: str | None = None


@dataclass(frozen=True)
class ThreadInfo:
    id: int
    article_key: str
    title: str | None
    url: str | None
    is_locked: bool
    is_premoderated: bool


@dataclass(frozen=True)
class ParentInfo:
    id: int
    author_name: str | None
    body_html: str
    status: str


@dataclass
class QueueItem:
    id: int
    site: str
    status: str
    status_reason: str | None
    flag_count: int
    is_pinned: bool
    depth: int
    created_at: datetime
    edited_at: datetime | None
    author_name: str | None
    author_email: str | None
    author_website: str | None
    body_html: str
    thread: ThreadInfo
    identity_id: int | None
    provider: str | None
    parent: ParentInfo | None
    flags: list[FlagInfo] = field(default_factory=list)

    @property
    def author(self) -> AuthorInfo:
        return AuthorInfo(self.author_name, self.author_email, self.author_website,
                          self.identity_id, self.provider)


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    next_cursor: str | None


_Parent = aliased(Comment, name="parent")


def base_query() -> Select[Any]:
    return (
        select(Comment, Thread, Site.slug, _Parent.id, _Parent.author_name,
               _Parent.body_html, _Parent.status, Identity.provider)
        .join(Thread, Thread.id == Comment.thread_id)
        .join(Site, Site.id == Thread.site_id)
        .outerjoin(_Parent, _Parent.id == func.coalesce(Comment.reply_to_id, Comment.parent_id))
        .outerjoin(Identity, Identity.id == Comment.identity_id)
    )


def queue_item(row: Any) -> QueueItem:
    (comment, thread, slug, parent_id, parent_author, parent_html, parent_status,
     provider) = row
    return QueueItem(
        id=comment.id,
        site=slug,
        status=comment.status,
        status_reason=comment.status_reason,
        flag_count=comment.flag_count,
        is_pinned=comment.is_pinned,
        depth=comment.depth,
        created_at=comment.created_at,
        edited_at=comment.edited_at,
        author_name=comment.author_name,
        author_email=comment.author_email,
        author_website=comment.author_website,
        body_html=comment.body_html,
        identity_id=comment.identity_id,
        provider=provider,
        thread=ThreadInfo(
            id=thread.id,
            article_key=thread.article_key,
            title=thread.title,
            url=thread.url,
            is_locked=thread.is_locked,
            is_premoderated=thread.is_premoderated,
        ),
        parent=ParentInfo(id=parent_id, author_name=parent_author, body_html=parent_html,
                          status=parent_status) if parent_id is not None else None,
    )


def attach_flags(session: Session, items: list[QueueItem], *, open_only: bool) -> None:
    if not items:
        return
    by_id = {item.id: item for item in items}
    query = select(Flag).where(Flag.comment_id.in_(by_id))
    if open_only:
        query = query.where(Flag.cleared_at.is_(None))
    for flag in session.execute(query.order_by(Flag.id)).scalars():
        by_id[flag.comment_id].flags.append(
            FlagInfo(reason=flag.reason, text=flag.text, created_at=flag.created_at,
                     is_cleared=flag.cleared_at is not None)
        )


def _state_filter(state: QueueState) -> Any:
    flagged = and_(Comment.flag_count > 0, Comment.status != CommentStatus.DELETED.value)
    if state == "pending":
        return Comment.status == CommentStatus.PENDING.value
    if state == "flagged":
        return flagged
    if state == "hidden":
        return Comment.status == CommentStatus.HIDDEN.value
    return or_(Comment.status == CommentStatus.PENDING.value, flagged)


def _parse_cursor(sort: QueueSort, cursor: str) -> tuple[int, ...]:
    parts = cursor.split(".")
    expected = 2 if sort == "flags" else 1
    if len(parts) != expected or not all(p.isdigit() and len(p) <= 18 for p in parts):
        raise InvalidCursor(fields={"cursor": f"not a cursor for sort={sort}"})
    return tuple(int(p) for p in parts)


def read_queue(
    session: Session,
    site_ids: frozenset[int] | set[int],
    *,
    state: QueueState,
    sort: QueueSort,
    cursor: str | None,
    limit: int,
) -> QueuePage:
    """A page of the queue of these sites: pending and/or flagged (or hidden) comments.

    "all" is what needs a decision: pending comments and flagged ones not
    deleted. Each item carries its open flags. Two queries. Raises InvalidCursor.
    """
    query = base_query().where(Thread.site_id.in_(site_ids), _state_filter(state))
    if sort == "flags":
        if cursor:
            query = query.where(
                tuple_(Comment.flag_count, Comment.id) < tuple_(*_parse_cursor(sort, cursor))
            )
        query = query.order_by(Comment.flag_count.desc(), Comment.id.desc())
    else:
        if cursor:
            query = query.where(Comment.id < _parse_cursor(sort, cursor)[0])
        query = query.order_by(Comment.id.desc())
    rows = session.execute(query.limit(limit + 1)).all()
    items = [queue_item(row) for row in rows[:limit]]
    attach_flags(session, items, open_only=True)
    next_cursor = None
    if len(rows) > limit and items:
        last = items[-1]
        next_cursor = f"{last.flag_count}.{last.id}" if sort == "flags" else str(last.id)
    return QueuePage(items=items, next_cursor=next_cursor)


def read_item(session: Session, actor: Actor, comment_id: int) -> QueueItem:
    """One comment as a moderator sees it, with every flag it ever had.

    Raises CommentNotFound and NotYourSite.
    """
    row = session.execute(base_query().where(Comment.id == comment_id)).one_or_none()
    if row is None:
        raise CommentNotFound()
    actor.require_site(row[1].site_id)
    item = queue_item(row)
    attach_flags(session, [item], open_only=False)
    return item


def pending_count(session: Session, site_ids: frozenset[int] | set[int]) -> int:
    """How many comments of these sites wait in the queue ("all"), for the nav badge."""
    return session.execute(
        select(func.count())
        .select_from(Comment)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Thread.site_id.in_(site_ids), _state_filter("all"))
    ).scalar_one()
