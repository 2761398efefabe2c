"""Moderators' search over every comment of their sites, whatever its status.

Filters: words in the body, the author's name, the article key, the status and
a date range; newest first, paged by keyset on (created_at, id), which the index
ix_comments_created_id serves (and bounds the date range). Text matches are
case-insensitive substring matches (LIKE), so results are the same on SQLite and
PostgreSQL; the rows come out in the queue's shape (services/queue.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_
from sqlalchemy.orm import Session

from comments_service.errors import InvalidCursor
from comments_service.models import Comment, CommentStatus, Thread
from comments_service.services.queue import QueuePage, attach_flags, base_query, queue_item

STATUSES = tuple(status.value for status in CommentStatus)


@dataclass(frozen=True)
class CommentSearch:
    """What to look for; None or empty: any."""

    text: str | None = None
    author: str | None = None
    article: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _like(value: str) -> str:
    """A LIKE pattern matching `value` anywhere, its own % and _ taken literally."""
    escaped = value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filters(search: CommentSearch) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if search.text:
        found.append(func.lower(Comment.body_markdown).like(_like(search.text), escape="\\"))
    if search.author:
        found.append(func.lower(Comment.author_name).like(_like(search.author), escape="\\"))
    if search.article:
        found.append(Thread.article_key == search.article)
    if search.status:
        found.append(Comment.status == search.status)
    if search.since is not None:
        found.append(Comment.created_at >= search.since)
    if search.until is not None:
        found.append(Comment.created_at < search.until)
    return found


def encode_cursor(created_at: datetime, comment_id: int) -> str:
    return f"{created_at.isoformat()}~{comment_id}"


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    when, _, ident = cursor.partition("~")
    try:
        moment = datetime.fromisoformat(when)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or not ident.isdigit() or len(ident) > 18:
        raise InvalidCursor(fields={"cursor": "not a cursor from this search"})
    return moment, int(ident)


def search_comments(
    session: Session,
    site_ids: frozenset[int] | set[int],
    search: CommentSearch,
    *,
    cursor: str | None,
    limit: int,
) -> QueuePage:
    """A page of the matching comments of these sites, newest first. Two queries.

    Raises InvalidCursor.
    """
    query = base_query().where(Thread.site_id.in_(site_ids), *_filters(search))
    if cursor:
        moment, ident = _decode_cursor(cursor)
        query = query.where(or_(Comment.created_at < moment,
                                and_(Comment.created_at == moment, Comment.id < ident)))
    query = query.order_by(Comment.created_at.desc(), Comment.id.desc())
    rows = session.execute(query.limit(limit + 1)).all()
    items = [queue_item(row) for row in rows[:limit]]
    attach_flags(session, items, open_only=False)
    next_cursor = None
    if len(rows) > limit and items:
        next_cursor = encode_cursor(items[-1].created_at, items[-1].id)
    return QueuePage(items=items, next_cursor=next_cursor)
