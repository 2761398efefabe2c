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


def test_expired_keys_are_swept_in_slices_and_all_freed(monkeypatch: Any) -> None:
    """A sweep pass over many keys is spread over hits (no hit sweeps more than a
    slice), and once the pass is through, every expired window and counter is gone
    while live ones still count."""
    from comments_service import limit_storage

    storage = SweepingMemoryStorage("comments-memory://")
    moving, fixed = MovingWindowRateLimiter(storage), FixedWindowRateLimiter(storage)
    short, long_ = parse("5 per 1 second"), parse("5 per 1 hour")
    for n in range(1000):
        assert moving.hit(short, f"reader-{n}")
        assert fixed.hit(short, f"counter-{n}")
    assert moving.hit(long_, "stays")
    assert sum("/reader-" in key for key in storage.events) == 1000
    assert sum("/counter-" in key for key in storage.storage) == 1000
    clock = {"now": limit_storage.time.time() + 5}
    monkeypatch.setattr(limit_storage.time, "time", lambda: clock["now"])
    # A pass may start with the next hit, over every key (a slow machine may have
    # started one while the keys were being made: drop it).
    storage._pass = None
    storage._next_sweep = 0.0
    swept: list[int] = []
    real_slice = storage.sweep_slice

    def counting_slice(most: int) -> bool:
        swept.append(most)
        return real_slice(most)

    monkeypatch.setattr(storage, "sweep_slice", counting_slice)
    storage.incr("poke", 60)  # starts the pass: one slice
    assert storage._pass is not None, "a pass over 2,000 keys must not finish in one hit"
    while storage._pass is not None:
        storage.incr("poke", 60)
    assert max(swept) == limit_storage.SWEEP_SLICE
    assert len(swept) >= 2001 // limit_storage.SWEEP_SLICE
    assert not any("/reader-" in key or "/counter-" in key for key in storage.events)
    assert not any("/counter-" in key for key in storage.storage)
    assert [key for key in storage.events if "/stays/" in key]
    assert moving.get_window_stats(long_, "stays").remaining == 4
