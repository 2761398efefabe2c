"""What live streams read from the database: the marker to start from, and what was missed.

The database is the source of truth for live updates. A stream that connects
fresh starts after the newest comment id of the whole table (one primary-key
lookup); a stream that reconnects with the last id it saw replays the visible
comments of its thread posted since (a short range scan of the primary key),
so a reader misses nothing while the connection was down. Both take a plain
Session, run one query, and return plain values; the caller releases the
session before it waits.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comments_service.live.broker import LiveEvent
from comments_service.models import Comment, CommentStatus, Thread
from comments_service.schemas.base import iso


def latest_comment_id(session: Session) -> int:
    """The newest comment id of any thread (0 when there is none): a fresh stream's marker.

    Ids are global and only grow, so every comment that becomes visible later
    with a larger id is news for every thread.
    """
    return int(session.scalar(select(func.max(Comment.id))) or 0)


def visible_since(
    session: Session, site_id: int, article_key: str, since_id: int, limit: int
) -> list[LiveEvent]:
    """Visible comments of the article's thread with an id above `since_id`, oldest first.

    At most `limit`; an article without a thread has none. Only what any reader
    may see: ids and the creation time.
    """
    rows = session.execute(
        select(Comment.id, Comment.thread_id, Comment.parent_id, Comment.created_at)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(
            Thread.site_id == site_id,
            Thread.article_key == article_key,
            Comment.id > since_id,
            Comment.status == CommentStatus.VISIBLE.value,
        )
        .order_by(Comment.id)
        .limit(limit)
    ).all()
    return [
        LiveEvent(thread_id=row.thread_id, comment_id=row.id, parent_id=row.parent_id,
                  created_at=iso(row.created_at))
        for row in rows
    ]


def event_of(comment: Comment) -> LiveEvent:
    """The public event of a comment that has just become visible (no query)."""
    return LiveEvent(thread_id=comment.thread_id, comment_id=comment.id,
                     parent_id=comment.parent_id, created_at=iso(comment.created_at))


def thread_address(session: Session, thread_id: int) -> tuple[int, str]:
    """(site id, article key) of a thread: what its live channel is named by."""
    row = session.execute(
        select(Thread.site_id, Thread.article_key).where(Thread.id == thread_id)
    ).one()
    return row.site_id, row.article_key
