"""What happens to comments, told once: services emit, subscribers of one app listen.

Each app has its own ``EventBus`` (``create_app`` builds it; ``app_events`` finds
it). Services take an ``EventSink`` and call ``emit`` at the moment something
happened, inside the transaction that did it; they know nothing of who listens.
The subscribers are wired in ``create_app``:

- notifications (services/notifications.py): outbox rows for subscribers and
  webhooks, and the moderators' notices, written in the same transaction;
- live updates (live/): published to readers only after the commit
  (a rollback drops them).

A subscriber that raises rolls the change back with its transaction. Nothing
here is process-wide: two apps in one process each see only their own events.
Framework-free, like the services that emit.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from comments_service.models import Comment, Thread

EXTENSION = "comments_events"


class CommentEvent(enum.StrEnum):
    PUBLISHED = "published"
    """A new comment was posted and is visible at once."""
    HELD = "held"
    """A new comment was posted and waits as pending (pre-moderation or spam)."""
    APPROVED = "approved"
    """A pending comment became visible (a moderator approved it)."""
    RESTORED = "restored"
    """A hidden or deleted comment became visible again."""
    HIDDEN = "hidden"
    DELETED = "deleted"
    """A comment became a deleted placeholder, or its row was removed."""
    FLAGGED = "flagged"
    """A reader flagged a comment (it may have been hidden by the same flag)."""
    EDITED = "edited"


@dataclass(frozen=True)
class CommentChange:
    """One event, with what its subscribers need to act without another query.

    ``site_id``/``article_key`` name the thread when the emitter knows them;
    ``thread``, ``notify`` and ``may_have_subscribers`` come with a new post
    (the author's notification choice, and whether anyone followed the thread
    before it).
    """

    kind: CommentEvent
    comment: Comment
    now: datetime
    site_id: int | None = None
    article_key: str | None = None
    thread: Thread | None = None
    notify: str = "none"
    may_have_subscribers: bool = True
    # The author's language (the widget's), stored with the subscription they ask for.
    language: str | None = None


Subscriber = Callable[[Session, CommentChange], None]


class EventSink(Protocol):
    def emit(self, session: Session, change: CommentChange) -> None: ...


class NoEvents:
    """A sink that tells nobody: for callers with no app (importers, some tests)."""

    def emit(self, session: Session, change: CommentChange) -> None:
        return None


NO_EVENTS = NoEvents()


class EventBus:
    """One app's subscribers by event kind, called in the order they subscribed."""

    def __init__(self) -> None:
        self._subscribers: dict[CommentEvent, list[Subscriber]] = {}

    def subscribe(self, subscriber: Subscriber, *kinds: CommentEvent) -> None:
        """Call ``subscriber(session, change)`` for each event of these kinds."""
        for kind in kinds:
            listeners = self._subscribers.setdefault(kind, [])
            if subscriber not in listeners:
                listeners.append(subscriber)

    def emit(self, session: Session, change: CommentChange) -> None:
        for subscriber in self._subscribers.get(change.kind, ()):
            subscriber(session, change)


STATUS_EVENTS = {
    ("pending", "visible"): CommentEvent.APPROVED,
    ("hidden", "visible"): CommentEvent.RESTORED,
    ("deleted", "visible"): CommentEvent.RESTORED,
}
"""Status moves (before, after) with an event of their own; otherwise the new status names it."""


def status_event(before: str, after: str) -> CommentEvent | None:
    """The event of a comment's status moving from `before` to `after` (None: none)."""
    if (before, after) in STATUS_EVENTS:
        return STATUS_EVENTS[(before, after)]
    return {"hidden": CommentEvent.HIDDEN, "deleted": CommentEvent.DELETED}.get(after)
