"""Live updates (issue 9): new comments pushed to readers over Server-Sent Events.

``create_app`` builds one ``LiveRuntime`` per app (``init_app``): the broker
chosen by ``[live] backend``, and the stream slots; the runtime subscribes to
the app's comment events (events.py: "published" and "approved"). Publishing
happens only after the database commit that made a comment visible: the
runtime queues the event on the session, and a SQLAlchemy ``after_commit``
listener publishes it (a rollback drops it). The listener is stateless: what
waits to be published lives on each session. The stream itself is ``api/live.py``.
"""

from __future__ import annotations

import atexit
import logging
from dataclasses import dataclass

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, scoped_session

from comments_service.config import ConfigError, LiveSettings, Settings
from comments_service.events import CommentChange, CommentEvent, EventBus
from comments_service.live.broker import (
    Broker,
    LiveEvent,
    MemoryBroker,
    RedisBroker,
    channel_for,
)
from comments_service.live.slots import StreamSlots
from comments_service.models import Comment
from comments_service.services import live as live_rules

log = logging.getLogger(__name__)

EXTENSION = "comments_live"
_PENDING = "comments_live_pending"
_REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://", "unix://")


@dataclass
class LiveRuntime:
    settings: LiveSettings
    broker: Broker
    slots: StreamSlots

    def announce(
        self,
        session: Session | scoped_session[Session],
        comment: Comment,
        *,
        site_id: int | None = None,
        article_key: str | None = None,
    ) -> None:
        """Publish `comment` (just made visible in this transaction) once the transaction
        commits; nothing if it rolls back.

        A caller that knows the comment's site id and (cleaned) article key passes them
        and saves a query; otherwise they are read from its thread.
        """
        if isinstance(session, scoped_session):  # db.session: the request's own Session
            session = session()
        if site_id is None or article_key is None:
            site_id, article_key = live_rules.thread_address(session, comment.thread_id)
        transaction = session.get_nested_transaction() or session.get_transaction()
        pending = session.info.setdefault(_PENDING, [])
        pending.append((transaction, self.broker, channel_for(site_id, article_key),
                        live_rules.event_of(comment)))

    def on_visible(self, session: Session, change: CommentChange) -> None:
        """The app's events "published" and "approved": a newly visible comment is news."""
        self.announce(session, change.comment, site_id=change.site_id,
                      article_key=change.article_key)


def redis_url(settings: Settings) -> str:
    """[live] redis_url, else the rate limits' storage when that is Redis, else ""."""
    if settings.live.redis_url:
        return settings.live.redis_url
    storage = settings.limits.storage_uri
    return storage if storage.startswith(_REDIS_SCHEMES) else ""


def make_broker(settings: Settings) -> Broker:
    live = settings.live
    url = redis_url(settings)
    if live.backend == "redis" and not url:
        raise ConfigError("live.backend = \"redis\" needs live.redis_url (or a redis:// "
                          "limits.storage_uri)")
    if live.backend == "memory" or (live.backend == "auto" and not url):
        return MemoryBroker(live.queue_size)
    return RedisBroker(url, live.channel_prefix, live.queue_size)


# An async (gevent) process holds at most this many streams when the config leaves
# the number to the server; and keeps this many file descriptors for everything else
# (its listening socket, database files and connections, logs, ordinary requests).
ASYNC_STREAMS_CEILING = 20_000
RESERVED_DESCRIPTORS = 1_000


def open_files_limit() -> int:
    """This process's soft limit on open file descriptors (ulimit -n)."""
    import resource

    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return ASYNC_STREAMS_CEILING + RESERVED_DESCRIPTORS
    return soft


def streams_per_process(settings: Settings, open_files: int | None = None) -> int:
    """[live] max_streams_per_process, or what the server can hold when it is 0.

    gevent: a stream is a greenlet and a socket, so the bound is file descriptors.
    gthread: a stream holds a thread; half the threads, rounded down, so that a
    process with one thread has no room for a stream (it would hold the only
    thread) and its readers are refused at once (503) and back off.
    """
    if settings.live.max_streams_per_process:
        return settings.live.max_streams_per_process
    if settings.server.worker_class == "gthread":
        return settings.server.threads // 2
    files = open_files_limit() if open_files is None else open_files
    return max(0, min(ASYNC_STREAMS_CEILING, files - RESERVED_DESCRIPTORS))


def init_app(app: Flask, settings: Settings, events: EventBus) -> None:
    """Give the app its broker and slots, subscribed to the app's newly visible comments."""
    if not settings.live.enabled:
        return
    broker = make_broker(settings)
    slots = StreamSlots(streams_per_process(settings), settings.live.max_streams_per_client)
    live = LiveRuntime(settings.live, broker, slots)
    app.extensions[EXTENSION] = live
    atexit.register(broker.close)
    events.subscribe(live.on_visible, CommentEvent.PUBLISHED, CommentEvent.APPROVED)
    _listen_for_commits()


def runtime() -> LiveRuntime | None:
    """The current app's live runtime; None when live updates are off."""
    if not has_app_context():
        return None
    found: LiveRuntime | None = current_app.extensions.get(EXTENSION)
    return found


# ---- publishing after the commit --------------------------------------------------


def announce(
    session: Session | scoped_session[Session],
    comment: Comment,
    *,
    site_id: int | None = None,
    article_key: str | None = None,
) -> None:
    """The current app's ``LiveRuntime.announce``; nothing when live updates are off."""
    live = runtime()
    if live is not None:
        live.announce(session, comment, site_id=site_id, article_key=article_key)


def _publish_pending(session: Session) -> None:
    # after_commit also fires when a savepoint is released; only the outermost
    # commit makes anything visible to other connections.
    if session.in_nested_transaction():
        return
    pending: list[tuple[SessionTransaction | None, Broker, str, LiveEvent]] = (
        session.info.pop(_PENDING, [])
    )
    for _transaction, broker, channel, event_ in pending:
        broker.publish(channel, event_)


def _inside(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending = session.info.get(_PENDING)
    if pending:
        kept = [item for item in pending if not _inside(item[0], previous_transaction)]
        session.info[_PENDING] = kept


def _listen_for_commits() -> None:
    if not event.contains(Session, "after_commit", _publish_pending):
        event.listen(Session, "after_commit", _publish_pending)
        event.listen(Session, "after_soft_rollback", _drop_rolled_back)


__all__ = [
    "EXTENSION", "LiveEvent", "LiveRuntime", "announce",
    "init_app", "make_broker", "open_files_limit", "redis_url", "runtime",
    "streams_per_process",
]
