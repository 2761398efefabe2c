"""limits.py: what is counted, by which key, and how limits behave over HTTP.

Counting across processes (two gunicorn servers sharing Redis) needs
COMMENTS_TEST_REDIS_URL; everything else runs on the in-memory storage or
against a Redis port where nothing listens.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter
from sqlalchemy import select

from comments_service import create_app
from comments_service.cli import migrate_database
from comments_service.extensions import db
from comments_service.limits import (
    client_key,
    email_key,
    exempt_current_request,
    limiter,
    normalize_email,
    thread_key,
)
from comments_service.models import Site
from comments_service.schemas import ErrorOut
from comments_service.services import sites
from tests.conftest import REDIS_URL

SITE = "news"
DEAD_REDIS = "redis://127.0.0.1:1/0"  # port 1: nothing listens, connections are refused


@pytest.fixture
def build(make_app: Any) -> Any:
    """make_app with limits on (spam rules off) and the site 'news'; returns (app, client)."""

    def make(server: dict[str, Any] | None = None, **limits: Any) -> tuple[Flask, FlaskClient]:
        app = make_app(limits={"enabled": True, **limits}, spam={"enabled": False},
                       server=server or {})
        with app.app_context():
            if db.session.execute(select(Site.id).where(Site.slug == SITE)).first() is None:
                sites.create_site(db.session, SITE, "News", [], datetime.now(UTC))
                db.session.commit()
        return app, app.test_client()

    return make


def post(client: FlaskClient, body: str = "Hello", *, addr: str = "203.0.113.5",
         headers: dict[str, str] | None = None, **fields: Any) -> Any:
    payload = {"article": "a1", "body": body, **fields}
    return client.post(
        f"/api/v1/sites/{SITE}/comments", json=payload, headers=headers or {},
        environ_base={"REMOTE_ADDR": addr},
    )


def read(client: FlaskClient, *, addr: str = "203.0.113.5",
         headers: dict[str, str] | None = None) -> Any:
    return client.get(
        f"/api/v1/sites/{SITE}/config", headers=headers or {},
        environ_base={"REMOTE_ADDR": addr},
    )


def statuses(responses: list[Any]) -> list[int]:
    return [r.status_code for r in responses]


# ---- the 429 and its headers ------------------------------------------------------------


def test_post_over_the_per_client_limit_is_429_in_the_json_error_shape(build) -> None:
    _, client = build(post_per_client="2 per minute")
    responses = [post(client, f"comment {i}") for i in range(3)]
    assert statuses(responses) == [201, 201, 429]
    body = responses[2].get_json()
    ErrorOut.model_validate(body)
    assert body["error"]["code"] == "rate_limited"


def test_429_carries_retry_after_and_rate_limit_headers(build) -> None:
    _, client = build(read_per_client="1 per minute")
    read(client)
    limited = read(client)
    assert limited.status_code == 429
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    assert limited.headers["X-RateLimit-Limit"] == "1"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert int(limited.headers["X-RateLimit-Reset"]) > time.time() - 1


def test_responses_within_the_limit_have_rate_limit_headers_but_no_retry_after(build) -> None:
    _, client = build(read_per_client="5 per minute", post_per_client="5 per minute")
    for response in (read(client), post(client)):
        assert response.status_code in (200, 201)
        assert response.headers["X-RateLimit-Limit"] == "5"
        assert "Retry-After" not in response.headers


def test_error_responses_other_than_429_have_no_retry_after(build) -> None:
    _, client = build(post_per_client="5 per minute")
    invalid = post(client, "   ")
    missing = client.get("/api/v1/sites/nowhere/config")
    assert (invalid.status_code, missing.status_code) == (422, 404)
    assert "X-RateLimit-Limit" in invalid.headers
    assert "Retry-After" not in invalid.headers
    assert "Retry-After" not in missing.headers


def test_headers_of_a_post_describe_the_per_client_limit(build) -> None:
    _, client = build(post_per_client="4 per minute", post_per_email="9 per minute",
                      post_per_thread="30 per minute")
    response = post(client, author_email="ann@example.com")
    assert (response.headers["X-RateLimit-Limit"],
            response.headers["X-RateLimit-Remaining"]) == ("4", "3")


# ---- what is counted, by which key ------------------------------------------------------


def test_one_email_is_limited_across_addresses_and_spellings(build) -> None:
    _, client = build(post_per_client="50 per minute", post_per_email="2 per minute")
    spellings = ["ann@example.com", "Ann@Example.COM", "ann+news@example.com"]
    responses = [
        post(client, f"comment {i}", addr=f"198.51.100.{i}", author_email=email)
        for i, email in enumerate(spellings)
    ]
    assert statuses(responses) == [201, 201, 429]
    other = post(client, "someone else", addr="198.51.100.9", author_email="bob@example.com")
    assert other.status_code == 201


def test_posts_without_email_skip_the_email_limit_quietly(build, caplog) -> None:
    _, client = build(post_per_client="50 per minute", post_per_email="1 per minute")
    with caplog.at_level(logging.WARNING):
        responses = [post(client, f"comment {i}") for i in range(3)]
    assert statuses(responses) == [201, 201, 201]
    assert not [r for r in caplog.records if r.name == "flask-limiter"]


def test_a_burst_on_one_thread_is_limited_for_everyone_while_others_stay_open(build) -> None:
    _, client = build(post_per_client="50 per minute", post_per_thread="3 per minute")
    burst = [post(client, f"comment {i}", addr=f"198.51.100.{i}") for i in range(4)]
    assert statuses(burst) == [201, 201, 201, 429]
    elsewhere = post(client, "calm here", addr="198.51.100.50", article="a2")
    assert elsewhere.status_code == 201


def test_edits_and_deletes_are_limited_per_client(build) -> None:
    _, client = build(edit_per_client="2 per minute")
    created = post(client).get_json()
    url = f"/api/v1/sites/{SITE}/comments/{created['comment']['id']}"
    token = {"X-Edit-Token": created["edit_token"]}
    addr = {"REMOTE_ADDR": "203.0.113.5"}
    edits = [client.patch(url, json={"body": f"v{i}"}, headers=token, environ_base=addr)
             for i in range(3)]
    assert statuses(edits) == [200, 200, 429]
    deletes = [client.delete(url, headers=token, environ_base=addr) for _ in range(3)]
    assert statuses(deletes)[2] == 429


def test_reads_are_limited_per_client_and_other_clients_still_read(build) -> None:
    _, client = build(read_per_client="3 per minute")
    assert statuses([read(client) for _ in range(4)]) == [200, 200, 200, 429]
    assert read(client, addr="198.51.100.1").status_code == 200


def test_ipv6_clients_are_counted_per_64(build) -> None:
    _, client = build(read_per_client="2 per minute")
    rotated = [read(client, addr=f"2001:db8:1:2::{i}") for i in range(1, 4)]
    assert statuses(rotated) == [200, 200, 429]
    assert read(client, addr="2001:db8:1:3::1").status_code == 200


def test_email_is_normalized_for_counting() -> None:
    assert normalize_email("  Ann+Tag@Example.COM ") == "ann@example.com"
    assert normalize_email("no-at-sign") == "no-at-sign"


def test_keys_never_hold_the_address_or_email_in_clear(build) -> None:
    app, _ = build()
    body = {"article": "my-article", "body": "x", "author_email": "ann@example.com"}
    with app.test_request_context(
        f"/api/v1/sites/{SITE}/comments", method="POST", json=body,
        environ_base={"REMOTE_ADDR": "203.0.113.5"},
    ):
        keys = [client_key(), email_key("author_email")(), thread_key()]
    assert all(keys)
    for key in keys:  # each is "<kind>:<hex digest>"
        assert "203.0.113" not in key
        assert "ann" not in key
        assert "my-article" not in key


def test_malformed_body_skips_body_keyed_limits_and_the_view_reports_it(build) -> None:
    _, client = build(post_per_email="1 per minute", post_per_thread="1 per minute")
    for _ in range(2):
        response = client.post(f"/api/v1/sites/{SITE}/comments", data="{not json",
                               content_type="application/json")
        assert response.get_json()["error"]["code"] == "invalid_json"


# ---- moderators -------------------------------------------------------------------------


def test_exempted_request_is_never_limited_while_others_are(build) -> None:
    app, client = build(read_per_client="1 per minute")

    @app.before_request
    def pretend_moderator_auth() -> None:
        if request.headers.get("X-Test-Moderator") == "yes":
            exempt_current_request()

    moderator = {"X-Test-Moderator": "yes"}
    assert statuses([read(client, headers=moderator) for _ in range(3)]) == [200, 200, 200]
    assert statuses([read(client) for _ in range(2)]) == [200, 429]
    assert read(client, headers=moderator).status_code == 200


# ---- client addresses behind proxies -----------------------------------------------------


def test_without_trusted_proxies_forged_forwarded_for_cannot_dodge_a_limit(build) -> None:
    _, client = build(read_per_client="2 per minute")
    forged = [read(client, headers={"X-Forwarded-For": f"198.51.100.{i}"}) for i in range(3)]
    assert statuses(forged) == [200, 200, 429]


def test_with_one_trusted_proxy_the_rightmost_forwarded_address_is_the_client(build) -> None:
    _, client = build(server={"trusted_proxy_hops": 1}, read_per_client="2 per minute")
    proxy = "10.0.0.1"

    def via_proxy(forwarded_for: str) -> int:
        return read(client, addr=proxy, headers={"X-Forwarded-For": forwarded_for}).status_code

    assert via_proxy("203.0.113.7") == 200
    # A client prepending made-up addresses is still known by the one the proxy added.
    assert via_proxy("198.51.100.1, 203.0.113.7") == 200
    assert via_proxy("198.51.100.2, 198.51.100.3, 203.0.113.7") == 429
    # Another client behind the same proxy has its own count.
    assert via_proxy("203.0.113.8") == 200


# ---- the storage being down -------------------------------------------------------------


def test_unreachable_redis_falls_back_to_memory_and_still_limits(build, caplog) -> None:
    _, client = build(storage_uri=DEAD_REDIS, read_per_client="2 per minute")
    with caplog.at_level(logging.WARNING, logger="flask-limiter"):
        responses = [read(client) for _ in range(3)]
    assert statuses(responses) == [200, 200, 429]
    warnings = [r for r in caplog.records
                if r.name == "flask-limiter" and r.levelno == logging.WARNING]
    assert warnings, "falling back must be logged"


def test_unreachable_redis_with_allow_serves_without_limits(build, caplog) -> None:
    _, client = build(storage_uri=DEAD_REDIS, on_storage_error="allow",
                      read_per_client="1 per minute")
    with caplog.at_level(logging.ERROR, logger="flask-limiter"):
        assert statuses([read(client) for _ in range(3)]) == [200, 200, 200]
    assert any(r.name == "flask-limiter" for r in caplog.records)


def test_unreachable_redis_with_refuse_answers_503(build, caplog) -> None:
    _, client = build(storage_uri=DEAD_REDIS, on_storage_error="refuse")
    with caplog.at_level(logging.ERROR):
        response = read(client)
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "rate_limit_unavailable"
    assert "Retry-After" not in response.headers


def test_each_app_configures_the_shared_limiter_afresh(build) -> None:
    _, client = build(strategy="fixed-window", storage_uri=DEAD_REDIS)
    read(client)  # the storage is now known to be dead
    assert isinstance(limiter.limiter, FixedWindowRateLimiter)

    _, client = build(strategy="moving-window", read_per_client="1 per minute")
    assert isinstance(limiter.limiter, MovingWindowRateLimiter)
    assert isinstance(limiter.storage, MemoryStorage)
    assert limiter.limiter.storage is limiter.storage, "not still on the dead app's fallback"
    assert statuses([read(client) for _ in range(2)]) == [200, 429]


# ---- limits shared by two processes through Redis ------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _http(url: str, json_body: bytes | None = None) -> int:
    """Status of a GET (or, with a body, a JSON POST) to one of the test's own servers."""
    headers = {"Content-Type": "application/json"} if json_body else {}
    request = urllib.request.Request(url, data=json_body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _wait_until_serving(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(300):
        if process.poll() is not None:
            pytest.fail(f"server exited early:\n{log.read_text()}")
        try:
            if _http(f"{base}/api/v1/openapi.json") == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    pytest.fail(f"server at {base} did not start:\n{log.read_text()}")


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[list[str], str]]:
    """Two `comments-service serve` (gunicorn) processes on one SQLite file and one Redis."""
    if not REDIS_URL:
        pytest.skip("Redis: set COMMENTS_TEST_REDIS_URL to run (CI does)")
    secret = "test-secret-key-not-for-production"
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    app = create_app({"database": {"url": url}, "security": {"secret_key": secret}},
                     instance_path=tmp_path / "instance")
    migrate_database(app)
    with app.app_context():
        sites.create_site(db.session, SITE, "News", [], datetime.now(UTC))
        db.session.commit()
        db.engine.dispose()

    env = {
        **os.environ,
        "COMMENTS_DATABASE_URL": url,
        "COMMENTS_SECURITY_SECRET_KEY": secret,
        "COMMENTS_LIMITS_ENABLED": "true",
        "COMMENTS_LIMITS_STORAGE_URI": REDIS_URL,
        "COMMENTS_LIMITS_KEY_PREFIX": prefix,
        "COMMENTS_LIMITS_READ_PER_CLIENT": "3 per minute",
        "COMMENTS_SPAM_ENABLED": "false",
        "COMMENTS_DEMO_ENABLED": "false",
    }
    processes: list[subprocess.Popen[bytes]] = []
    bases = []
    try:
        for n in range(2):
            port = _free_port()
            log = tmp_path / f"server{n}.log"
            with log.open("wb") as out:
                processes.append(subprocess.Popen(
                    [sys.executable, "-c", "from comments_service.cli import main; main()",
                     "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                     "--no-migrate"],
                    env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
                ))
            bases.append(f"http://127.0.0.1:{port}")
            _wait_until_serving(bases[-1], processes[-1], log)
        yield bases, prefix
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


@pytest.mark.redis
def test_one_limit_holds_across_two_server_processes_sharing_redis(two_servers) -> None:
    (first, second), _ = two_servers
    config = f"/api/v1/sites/{SITE}/config"
    seen = [_http(first + config), _http(second + config), _http(first + config)]
    assert seen == [200, 200, 200]
    # Counted alone, the second process would have seen one request and allow this.
    assert _http(second + config) == 429
    assert _http(first + config) == 429


@pytest.mark.redis
def test_counters_in_redis_hold_no_address_or_email(two_servers) -> None:
    import redis

    (first, _), prefix = two_servers
    payload = b'{"article": "a1", "body": "hi", "author_email": "ann@example.com"}'
    assert _http(f"{first}/api/v1/sites/{SITE}/comments", payload) == 201
    store = redis.Redis.from_url(REDIS_URL)
    try:
        keys = [key.decode() for key in store.scan_iter(match=f"*{prefix}*")]
        assert len(keys) >= 3, keys  # per client, per email and per thread
        for key in keys:
            assert "127.0.0.1" not in key
            assert "ann" not in key.lower()
        store.delete(*keys)
    finally:
        store.close()


def test_retry_after_the_app_sets_itself_survives_on_other_statuses(build, monkeypatch) -> None:
    from comments_service.errors import ApiError
    from comments_service.services import posting

    class BrieflyDown(ApiError):
        status = 503
        code = "unavailable"

    def unavailable(*_args: Any, **_kwargs: Any) -> None:
        raise BrieflyDown(headers={"Retry-After": "5"})

    _, client = build(post_per_client="5 per minute")
    monkeypatch.setattr(posting, "post_comment", unavailable)
    response = post(client)
    assert response.status_code == 503
    assert "X-RateLimit-Limit" in response.headers, "the limiter did see this response"
    assert response.headers["Retry-After"] == "5"
