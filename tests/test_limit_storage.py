"""limit_storage.py: memory:// limits count as before, without a thread started per hit."""

from __future__ import annotations

from typing import Any

from limits import parse
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from comments_service.limit_storage import SweepingMemoryStorage, storage_uri
from comments_service.limits import limiter


def test_memory_uri_is_served_by_the_sweeping_storage(make_app: Any) -> None:
    app = make_app(limits={"enabled": True, "storage_uri": "memory://"})
    with app.app_context():
        assert isinstance(limiter.storage, SweepingMemoryStorage)
    assert storage_uri("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_hits_refuse_past_the_limit_and_start_no_timer_thread() -> None:
    storage = SweepingMemoryStorage("comments-memory://")
    storage.timer.join(timeout=5)  # the one MemoryStorage starts when created
    first_timer = storage.timer
    for strategy in (MovingWindowRateLimiter(storage), FixedWindowRateLimiter(storage)):
        limit = parse("50 per minute")
        assert all(strategy.hit(limit, "client") for _ in range(50))
        assert not strategy.hit(limit, "client")
        assert strategy.hit(limit, "another client")
    assert storage.timer is first_timer
    assert not first_timer.is_alive()
