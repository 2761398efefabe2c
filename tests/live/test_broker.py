"""live/broker.py: fan-out in one process, and through real Redis pub/sub between brokers."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest

from comments_service.live.broker import (
    LISTENER_NAME,
    BrokerUnavailable,
    LiveEvent,
    MemoryBroker,
    RedisBroker,
    channel_for,
)
from tests.conftest import REDIS_URL

needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="Redis broker: set COMMENTS_TEST_REDIS_URL to run (CI does)"
)
WAIT_S = 5.0  # bounded wait for an event that must come


def event(comment_id: int, parent_id: int | None = None) -> LiveEvent:
    return LiveEvent(thread_id=1, comment_id=comment_id, parent_id=parent_id,
                     created_at="2026-01-01T00:00:00Z")


def test_event_round_trips_through_json() -> None:
    """What a broker sends is what a stream gets: the four public fields, nothing else."""
    original = event(7, parent_id=3)
    assert LiveEvent.from_json(original.to_json()) == original
    assert set(__import__("json").loads(original.to_json())) == {
        "thread_id", "comment_id", "parent_id", "created_at"}


def test_channels_are_per_site_and_article() -> None:
    """A channel names one article of one site, and holds no article text."""
    assert channel_for(1, "a") == channel_for(1, "a")
    assert len({channel_for(1, "a"), channel_for(2, "a"), channel_for(1, "b")}) == 3
    assert "secret-article" not in channel_for(1, "secret-article")


def test_memory_broker_fans_out_to_every_subscriber_of_the_channel() -> None:
    """Every subscription of a channel gets each event; other channels get nothing."""
    broker = MemoryBroker(queue_size=10)
    first, second = broker.subscribe("1:a"), broker.subscribe("1:a")
    other = broker.subscribe("1:b")
    broker.publish("1:a", event(1))
    assert first.get(WAIT_S) == event(1)
    assert second.get(WAIT_S) == event(1)
    assert other.get(0.01) is None
    first.close()
    broker.publish("1:a", event(2))
    assert second.get(WAIT_S) == event(2)
    assert broker.fanout.subscriber_count == 2


def test_a_subscriber_that_falls_behind_is_marked_stale_not_blocking() -> None:
    """A full queue never blocks the publisher: the slow stream is marked stale instead."""
    broker = MemoryBroker(queue_size=2)
    slow = broker.subscribe("1:a")
    for comment_id in range(1, 6):
        broker.publish("1:a", event(comment_id))
    assert slow.is_stale


def test_marking_stale_wakes_a_waiting_reader() -> None:
    """A reader blocked on its queue returns at once when its subscription goes stale."""
    broker = MemoryBroker(queue_size=5)
    subscription = broker.subscribe("1:a")
    got: list[LiveEvent | None] = []
    reader = threading.Thread(target=lambda: got.append(subscription.get(60)))
    reader.start()
    broker.close()
    reader.join(WAIT_S)
    assert not reader.is_alive()
    assert got == [None]
    assert subscription.is_stale


@pytest.fixture
def redis_brokers() -> Iterator[tuple[RedisBroker, RedisBroker]]:
    """Two brokers as two processes would have them, on one Redis, with a prefix of their own."""
    prefix = f"test-live-{uuid.uuid4().hex[:8]}"
    one = RedisBroker(REDIS_URL, prefix, queue_size=10)
    two = RedisBroker(REDIS_URL, prefix, queue_size=10)
    yield one, two
    one.close()
    two.close()


def _listeners() -> list[dict[str, object]]:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        return [c for c in client.client_list() if c.get("name") == LISTENER_NAME]
    finally:
        client.close()


@needs_redis
def test_redis_broker_delivers_between_brokers(
    redis_brokers: tuple[RedisBroker, RedisBroker],
) -> None:
    """An event published by one broker reaches subscribers of another through Redis."""
    one, two = redis_brokers
    subscription = one.subscribe("5:abc")
    elsewhere = one.subscribe("5:def")
    two.publish("5:abc", event(42))
    assert subscription.get(WAIT_S) == event(42)
    assert elsewhere.get(0.05) is None


@needs_redis
def test_redis_broker_uses_one_connection_for_all_its_subscribers(
    redis_brokers: tuple[RedisBroker, RedisBroker],
) -> None:
    """Subscribers share the process's one listening connection: not one Redis client each."""
    one, _ = redis_brokers
    before = len(_listeners())
    subscriptions = [one.subscribe(f"1:{n % 3}") for n in range(20)]
    assert len(_listeners()) == before + 1
    for subscription in subscriptions:
        subscription.close()


@needs_redis
def test_redis_listener_reconnects_and_marks_open_streams_stale(
    redis_brokers: tuple[RedisBroker, RedisBroker],
) -> None:
    """A dropped connection may have lost events: open subscriptions go stale, new ones work."""
    import redis

    one, two = redis_brokers
    before = one.subscribe("1:a")
    admin = redis.Redis.from_url(REDIS_URL)
    try:
        mine = [c for c in admin.client_list() if c.get("name") == LISTENER_NAME]
        for client in mine:
            admin.client_kill_filter(_id=client["id"])
    finally:
        admin.close()
    assert before.get(WAIT_S) is None
    assert before.is_stale
    after = one.subscribe("1:a")  # waits (bounded) for the listener to be back
    two.publish("1:a", event(9))
    assert after.get(WAIT_S) == event(9)


def test_redis_broker_without_redis_never_raises_on_publish_and_refuses_streams() -> None:
    """Redis down: a publish is logged and dropped (the comment is committed); streams get
    BrokerUnavailable, which the endpoint answers with 503."""
    broker = RedisBroker("redis://127.0.0.1:1/0", "test-live", queue_size=5,
                         ready_timeout_s=0.3, timeout_s=0.2)
    try:
        broker.publish("1:a", event(1))
        with pytest.raises(BrokerUnavailable):
            broker.subscribe("1:a")
        assert broker.fanout.subscriber_count == 0
    finally:
        broker.close()


def _sample(name: str, labels: dict[str, str] | None = None) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


def test_fan_out_is_counted_and_timed_once_the_last_reader_has_written() -> None:
    """Metrics: each event handed to N streams adds N to the fanned-out counter; its
    commit-to-last-written time is observed once, when the last of them has written it
    (or let it go, closing), not before."""
    broker = MemoryBroker(queue_size=10)
    first, second = broker.subscribe("1:m"), broker.subscribe("1:m")
    fanned = _sample("comments_live_events_fanned_out_total")
    timed = _sample("comments_live_delivery_seconds_count")
    broker.publish("1:m", event(1))
    assert _sample("comments_live_events_fanned_out_total") == fanned + 2
    assert first.get(timeout=WAIT_S) == event(1)
    first.written()
    assert _sample("comments_live_delivery_seconds_count") == timed
    second.close()  # never read: it lets the event go
    assert _sample("comments_live_delivery_seconds_count") == timed + 1
    first.close()


def test_open_streams_gauge_follows_the_slots() -> None:
    """comments_live_streams goes up with each slot taken and down once per release."""
    from comments_service.live.slots import StreamSlots

    slots = StreamSlots(per_process=5, per_client=5)
    before = _sample("comments_live_streams")
    held = [slots.acquire("a"), slots.acquire("b")]
    assert _sample("comments_live_streams") == before + 2
    held[0].release()
    held[0].release()  # twice: counted once
    assert _sample("comments_live_streams") == before + 1
    held[1].release()
    assert _sample("comments_live_streams") == before
