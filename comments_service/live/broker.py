"""Brokers: how a new-comment event reaches every stream that follows its thread.

A stream subscribes to its thread's channel and gets a bounded queue; a publish
fans the event out to every queue on that channel. ``MemoryBroker`` does it
inside one process. ``RedisBroker`` publishes through Redis pub/sub and runs one
listener thread per process (one Redis connection, a pattern subscription) that
fans each message out locally, so a thousand readers cost one connection, not a
thousand, and a comment posted on one instance reaches readers on every other.

Events carry only what any reader may see: ids and the creation time. The
database stays the source of truth: a stream that falls behind, or whose broker
lost its connection, is ended, and the browser reconnects and replays what it
missed from the database.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from comments_service.live.metrics import LIVE_DELIVERY_SECONDS, LIVE_EVENTS_FANNED_OUT

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveEvent:
    """A comment that became publicly visible. Never anything private."""

    thread_id: int
    comment_id: int
    parent_id: int | None
    created_at: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> LiveEvent:
        data = json.loads(text)
        return cls(
            thread_id=int(data["thread_id"]),
            comment_id=int(data["comment_id"]),
            parent_id=None if data["parent_id"] is None else int(data["parent_id"]),
            created_at=str(data["created_at"]),
        )


def channel_for(site_id: int, article_key: str) -> str:
    """The channel of one article's thread; known before its thread row exists."""
    digest = hashlib.sha256(article_key.encode()).hexdigest()[:32]
    return f"{site_id}:{digest}"


class Delivery:
    """One event's way to this process's streams on its channel: when the last of them
    has written it (or let it go), the time since its commit is observed."""

    __slots__ = ("_left", "_lock", "published_at")

    def __init__(self, published_at: float, readers: int) -> None:
        self.published_at = published_at
        self._left = readers
        self._lock = threading.Lock()

    def done(self) -> None:
        with self._lock:
            self._left -= 1
            last = self._left == 0
        if last:
            LIVE_DELIVERY_SECONDS.observe(max(0.0, time.time() - self.published_at))


class Subscription:
    """One stream's bounded queue of events on one channel.

    When the queue is full the subscription is marked stale instead of blocking
    the publisher; so is every subscription when the broker loses events (Redis
    reconnect). A stale stream ends and its reader replays from the database.
    The stream calls ``written()`` once it has sent (or skipped) the event that
    ``get()`` gave it.

    A deque and an Event rather than a queue.Queue: a publish wakes thousands of
    these at once, and under gevent an Event is one native object where a Queue is
    a lock and three conditions, each wait allocating another lock.
    """

    def __init__(self, channel: str, size: int, fanout: LocalFanout) -> None:
        self.channel = channel
        self._size = size
        self._items: deque[tuple[LiveEvent, Delivery | None]] = deque()
        self._arrived = threading.Event()
        self._fanout = fanout
        self._in_hand: Delivery | None = None
        self.is_stale = False

    def offer(self, event: LiveEvent, delivery: Delivery | None = None) -> None:
        if len(self._items) >= self._size:
            self.mark_stale()
            if delivery is not None:
                delivery.done()
            return
        self._items.append((event, delivery))
        self._arrived.set()

    def mark_stale(self) -> None:
        self.is_stale = True
        # Wake a waiting reader so it notices at once.
        self._items.append((_WAKE, None))
        self._arrived.set()

    def get(self, timeout: float) -> LiveEvent | None:
        """The next event, or None after `timeout` seconds (or when woken stale)."""
        self.written()
        if not self._items:
            # Cleared before looking: an offer after the look sets it again.
            self._arrived.clear()
            if not self._items and not self._arrived.wait(timeout):
                return None
        try:
            event, self._in_hand = self._items.popleft()
        except IndexError:
            return None
        return None if event is _WAKE else event

    def written(self) -> None:
        """The event from the last ``get()`` is sent (or will not be)."""
        if self._in_hand is not None:
            self._in_hand.done()
            self._in_hand = None

    def close(self) -> None:
        self._fanout.remove(self)
        self.written()
        while self._items:
            try:
                _event, delivery = self._items.popleft()
            except IndexError:
                break
            if delivery is not None:
                delivery.done()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


_WAKE = LiveEvent(thread_id=0, comment_id=0, parent_id=None, created_at="")


class LocalFanout:
    """This process's subscriptions by channel; thread-safe."""

    def __init__(self, queue_size: int) -> None:
        self._queue_size = queue_size
        self._lock = threading.Lock()
        self._channels: dict[str, set[Subscription]] = {}

    def add(self, channel: str) -> Subscription:
        subscription = Subscription(channel, self._queue_size, self)
        with self._lock:
            self._channels.setdefault(channel, set()).add(subscription)
        return subscription

    def remove(self, subscription: Subscription) -> None:
        with self._lock:
            members = self._channels.get(subscription.channel)
            if members is not None:
                members.discard(subscription)
                if not members:
                    del self._channels[subscription.channel]

    def deliver(self, channel: str, event: LiveEvent, published_at: float | None = None) -> None:
        """Hand `event` to every stream on `channel`; `published_at` (time.time() of
        its commit) times its way to the last of them."""
        with self._lock:
            members = list(self._channels.get(channel, ()))
        if not members:
            return
        LIVE_EVENTS_FANNED_OUT.inc(len(members))
        delivery = Delivery(time.time() if published_at is None else published_at,
                            len(members))
        for subscription in members:
            subscription.offer(event, delivery)

    def mark_all_stale(self) -> None:
        with self._lock:
            members = [s for group in self._channels.values() for s in group]
        for subscription in members:
            subscription.mark_stale()

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return sum(len(group) for group in self._channels.values())


class Broker(Protocol):
    """What streams and publishers need; a new backend is a new class."""

    def subscribe(self, channel: str) -> Subscription: ...

    def publish(self, channel: str, event: LiveEvent) -> None: ...

    def close(self) -> None: ...


class MemoryBroker:
    """Fan-out inside this process: right for one server process."""

    name = "memory"

    def __init__(self, queue_size: int) -> None:
        self.fanout = LocalFanout(queue_size)

    def subscribe(self, channel: str) -> Subscription:
        return self.fanout.add(channel)

    def publish(self, channel: str, event: LiveEvent) -> None:
        self.fanout.deliver(channel, event)

    def close(self) -> None:
        self.fanout.mark_all_stale()


class BrokerUnavailable(RuntimeError):
    """The broker cannot take subscribers now (Redis unreachable)."""


LISTENER_NAME = "comments-live-listener"
"""CLIENT SETNAME of each process's one listening connection (CLIENT LIST shows them)."""


class RedisBroker:
    """Redis pub/sub between processes; one listener thread per process.

    The listener starts with the first subscriber and holds one pattern
    subscription (``PREFIX:*``). A subscriber is handed its queue only once the
    listener is subscribed in Redis, so nothing published after ``subscribe``
    returns is missed. When the connection drops, every open subscription is
    marked stale (its reader replays from the database on reconnect) and the
    listener reconnects with a growing pause.
    """

    name = "redis"

    def __init__(self, url: str, prefix: str, queue_size: int, *,
                 ready_timeout_s: float = 5.0, timeout_s: float = 2.0) -> None:
        import redis

        self.fanout = LocalFanout(queue_size)
        self._prefix = prefix.rstrip(":") + ":"
        self._client: Any = redis.Redis.from_url(
            url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s,
            health_check_interval=30,
        )
        self._listen_client: Any = redis.Redis.from_url(
            url, socket_connect_timeout=timeout_s, health_check_interval=30,
            client_name=LISTENER_NAME,
        )
        self._ready_timeout_s = ready_timeout_s
        self._ready = threading.Event()
        self._stopped = threading.Event()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def subscribe(self, channel: str) -> Subscription:
        self._ensure_listener()
        subscription = self.fanout.add(channel)
        if not self._ready.wait(self._ready_timeout_s):
            subscription.close()
            raise BrokerUnavailable("redis pub/sub is not connected")
        return subscription

    def publish(self, channel: str, event: LiveEvent) -> None:
        """Publish to every instance. A Redis failure is logged, never raised:
        the comment is committed, and readers find it on their next reconnect."""
        try:
            # The commit's time rides along (readers never see it), so every instance
            # times the way from the commit to its own last reader.
            message = {**asdict(event), "published_at": time.time()}
            self._client.publish(self._prefix + channel,
                                 json.dumps(message, separators=(",", ":")))
        except Exception as exc:  # noqa: BLE001 - redis raises many kinds
            log.warning("live_publish_failed", extra={"error_type": type(exc).__name__})

    def close(self) -> None:
        self._stopped.set()
        self.fanout.mark_all_stale()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._client.close()
        self._listen_client.close()

    def _ensure_listener(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._listen_forever, name="comments-live-redis", daemon=True
                )
                self._thread.start()

    def _listen_forever(self) -> None:
        pause = 0.2
        while not self._stopped.is_set():
            try:
                self._listen()
                pause = 0.2
            except Exception as exc:  # noqa: BLE001 - keep listening whatever broke
                log.warning("live_listener_disconnected",
                            extra={"error_type": type(exc).__name__})
            self._ready.clear()
            self.fanout.mark_all_stale()
            self._stopped.wait(pause)
            pause = min(pause * 2, 10.0)

    def _listen(self) -> None:
        pubsub = self._listen_client.pubsub()
        try:
            pubsub.psubscribe(self._prefix + "*")
            # psubscribe only sends the command; its confirmation is the first message.
            while not self._stopped.is_set() and not self._ready.is_set():
                confirmation = pubsub.get_message(timeout=1.0)
                if confirmation is not None and confirmation["type"] == "psubscribe":
                    self._ready.set()
            while not self._stopped.is_set():
                message = pubsub.get_message(timeout=1.0)
                if message is None or message["type"] != "pmessage":
                    continue
                channel = message["channel"].decode().removeprefix(self._prefix)
                try:
                    event = LiveEvent.from_json(message["data"])
                    published_at = float(json.loads(message["data"]).get("published_at", 0))
                except (ValueError, KeyError, TypeError, AttributeError):
                    log.warning("live_message_malformed")
                    continue
                self.fanout.deliver(channel, event, published_at or None)
        finally:
            pubsub.close()
