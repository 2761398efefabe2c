"""Comment status transitions with their counters.

``change_status`` is the one place a comment's status moves; ``remove_comment``
the one place a row leaves. Both keep the counters the read path trusts, by SQL
expressions so concurrent writers never lose an update:

- ``thread.total_count``: comments not deleted (visible, pending, hidden);
- ``thread.visible_count``: visible comments;
- the root's ``reply_count``: visible replies below a top-level comment;
- ``thread.version``: bumped by every change, so the thread's ETag changes.

Each emits its event (events.py). Services flush; the caller commits.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from comments_service.events import (
    NO_EVENTS,
    CommentChange,
    CommentEvent,
    EventSink,
    status_event,
)
from comments_service.models import (
    MAX_STATUS_REASON,
    Comment,
    CommentStatus,
    Thread,
)


def _counts_in_total(status: CommentStatus | None) -> int:
    return int(status is not None and status != CommentStatus.DELETED)


def _counts_as_visible(status: CommentStatus | None) -> int:
    return int(status == CommentStatus.VISIBLE)


def _move_counters(
    session: Session,
    comment: Comment,
    before: CommentStatus | None,
    after: CommentStatus | None,
) -> None:
    """Counters for a comment going from `before` to `after` (None: no such row)."""
    total = _counts_in_total(after) - _counts_in_total(before)
    visible = _counts_as_visible(after) - _counts_as_visible(before)
    values: dict[str, Any] = {"version": Thread.version + 1}
    if total:
        values["total_count"] = Thread.total_count + total
    if visible:
        values["visible_count"] = Thread.visible_count + visible
    session.execute(update(Thread).where(Thread.id == comment.thread_id).values(**values))
    if visible and comment.depth > 0 and comment.root_id is not None:
        session.execute(
            update(Comment)
            .where(Comment.id == comment.root_id)
            .values(reply_count=Comment.reply_count + visible)
        )


def touch_thread(session: Session, thread_id: int) -> None:
    """Bump the thread's version (its ETag) for a change that moves no counter."""
    session.execute(
        update(Thread).where(Thread.id == thread_id).values(version=Thread.version + 1)
    )


def change_status(
    session: Session,
    comment: Comment,
    new_status: CommentStatus,
    *,
    reason: str | None = None,
    events: EventSink = NO_EVENTS,
    now: datetime | None = None,
) -> CommentStatus:
    """Give the comment a new status, moving every counter with it; returns the old one.

    The only function that changes Comment.status after creation. Records
    `reason` (shown to moderators only). Emits the move's event (events.py:
    approved, restored, hidden, deleted) once the status and counters are
    flushed; a subscriber that raises rolls the change back. A comment already
    in `new_status` keeps its counters and emits nothing; only the reason changes.
    """
    before = CommentStatus(comment.status)
    after = CommentStatus(new_status)
    comment.status_reason = reason[:MAX_STATUS_REASON] if reason else None
    if before == after:
        session.flush()
        return before
    _move_counters(session, comment, before, after)
    comment.status = after.value
    session.flush()
    kind = status_event(before.value, after.value)
    if kind is not None:
        events.emit(session, CommentChange(kind, comment, now or datetime.now(UTC)))
    return before


def remove_comment(
    session: Session,
    comment: Comment,
    *,
    events: EventSink = NO_EVENTS,
    now: datetime | None = None,
) -> None:
    """Delete the comment's row, moving counters as if its status became "gone".

    The caller makes sure it has no children (else keep it as a placeholder).
    Its flags go with it (ON DELETE CASCADE). Emits "deleted" before the row goes.
    """
    if comment.status != CommentStatus.DELETED.value:
        events.emit(session, CommentChange(CommentEvent.DELETED, comment,
                                           now or datetime.now(UTC)))
    _move_counters(session, comment, CommentStatus(comment.status), None)
    if comment.parent_id is not None:
        session.execute(
            update(Comment)
            .where(Comment.id == comment.parent_id)
            .values(child_count=Comment.child_count - 1)
        )
    session.delete(comment)
    session.flush()
