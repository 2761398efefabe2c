"""live/__init__.py and [live] config: which broker, how many streams, bad settings refused."""

from __future__ import annotations

import re

import pytest

from comments_service.config import ConfigError, Settings, load_settings
from comments_service.live import make_broker, redis_url, streams_per_process
from comments_service.live.broker import MemoryBroker, RedisBroker


def settings(**sections: dict[str, object]) -> Settings:
    return load_settings(overrides=sections, environ={})


def test_auto_backend_is_memory_without_a_redis_url() -> None:
    """One process with in-memory limits: events stay in the process."""
    assert isinstance(make_broker(settings()), MemoryBroker)


def test_auto_backend_reuses_the_rate_limits_redis() -> None:
    """A redis:// limits storage is enough to share events between instances."""
    chosen = settings(limits={"storage_uri": "redis://127.0.0.1:6379/3"})
    assert redis_url(chosen) == "redis://127.0.0.1:6379/3"
    broker = make_broker(chosen)
    assert isinstance(broker, RedisBroker)
    broker.close()


def test_live_redis_url_wins_over_the_limits_storage() -> None:
    chosen = settings(limits={"storage_uri": "redis://127.0.0.1:6379/3"},
                      live={"redis_url": "redis://127.0.0.1:6379/4"})
    assert redis_url(chosen) == "redis://127.0.0.1:6379/4"


def test_redis_backend_without_any_url_is_refused() -> None:
    """backend = "redis" with nowhere to connect fails at start-up, naming the key."""
    with pytest.raises(ConfigError, match=re.escape("live.redis_url")):
        make_broker(settings(live={"backend": "redis"}))


@pytest.mark.parametrize(
    ("values", "message"),
    [({"backend": "kafka"}, "live.backend"),
     ({"heartbeat_seconds": 0}, "positive"),
     ({"max_streams_per_client": 0}, "at least 1"),
     ({"max_streams_per_process": -1}, "max_streams_per_process")],
)
def test_bad_live_settings_are_refused(values: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        settings(live=values)


def test_streams_per_process_is_explicit_or_half_the_threads_under_gthread() -> None:
    """gthread: 0 keeps half the server's threads for ordinary requests; a number is
    taken as is."""
    gthread = {"worker_class": "gthread"}
    assert streams_per_process(settings(server={**gthread, "threads": 8})) == 4
    # one thread: no stream may take it (it would stall every other request)
    assert streams_per_process(settings(server={**gthread, "threads": 1})) == 0
    explicit = settings(live={"max_streams_per_process": 30})
    assert streams_per_process(explicit) == 30


def test_gevent_streams_per_process_follow_the_open_files_limit() -> None:
    """gevent: 0 means as many streams as file descriptors allow (1,000 kept for the
    rest), at most 20,000, whatever the thread count."""
    gevent = settings(server={"worker_class": "gevent", "threads": 1})
    assert streams_per_process(gevent, open_files=20_000) == 19_000
    assert streams_per_process(gevent, open_files=1_048_576) == 20_000
    assert streams_per_process(gevent, open_files=1_024) == 24
    assert streams_per_process(gevent, open_files=500) == 0


def test_unknown_worker_class_is_refused() -> None:
    """[server] worker_class is "gevent" or "gthread"; anything else stops the start."""
    with pytest.raises(ConfigError, match=re.escape("server.worker_class")):
        settings(server={"worker_class": "sync"})


def test_serve_runs_gunicorn_with_room_above_the_stream_cap() -> None:
    """`serve`'s gunicorn settings: the configured worker class, and gevent connections
    above the streams' cap, so a reader beyond it gets 503, not a hung connection."""
    from comments_service.cli import serving

    options = serving.prepare(settings(live={"max_streams_per_process": 300}))
    assert options["worker_class"] == "gevent"
    assert options["worker_connections"] == 300 + 1_000
