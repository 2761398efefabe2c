"""Scale-out, for real: two gunicorn instances on PostgreSQL and Redis, under concurrent load.

Runs when COMMENTS_TEST_POSTGRES_URL and COMMENTS_TEST_REDIS_URL are set (CI sets both).
Every request goes to loopback; the load is bounded in count and in time.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tests.conftest import POSTGRES_URL, REDIS_URL, scratch_postgres_database
from tests.notify.conftest import SmtpServer, free_port
from tests.scale.tcp_proxy import TcpProxy

pytestmark = pytest.mark.skipif(
    not (POSTGRES_URL and REDIS_URL),
    reason="scale-out test: set COMMENTS_TEST_POSTGRES_URL and COMMENTS_TEST_REDIS_URL (CI does)",
)

ROOT = Path(__file__).resolve().parents[2]
SITE = "scale"
POSTS = 2000
EXTRA = 200
LIMIT_HEADROOM = 100  # posts the shared limit still allows after the load
ARTICLES = 20
DEADLINE_S = 240
SECRET = "scale-test-secret-key"
SUBSCRIBERS = [f"reader{i}@readers.example" for i in range(10)]


def _request(port: int, method: str, path: str, payload: Any = None,
             timeout: float = 10) -> tuple[int, dict[str, Any], dict[str, str]]:
    data = json.dumps(payload).encode() if payload is not None else None
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=data, method=method,
        headers={"Content-Type": "application/json"} if data else {},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}"), dict(response.headers)
    except urllib.error.HTTPError as error:
        body = error.read()
        return error.code, json.loads(body) if body else {}, dict(error.headers)


@dataclass
class Cluster:
    ports: list[int]
    proxy: TcpProxy
    direct_url: str
    smtp: SmtpServer
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)


@pytest.fixture(scope="module")
def scale_database() -> Iterator[str]:
    """A database of its own, created for this module and dropped after it."""
    with scratch_postgres_database("scale") as url:
        yield url


def _wait_healthy(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"instance on {port} exited with {process.returncode}")
        try:
            if _request(port, "GET", "/healthz", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"instance on {port} did not become healthy")


@pytest.fixture(scope="module")
def cluster(scale_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    url = make_url(scale_database)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.start()
    via_proxy = url.set(port=proxy.port).render_as_string(hide_password=False)
    env = {
        **os.environ,
        "COMMENTS_DATABASE_URL": via_proxy,
        "COMMENTS_DATABASE_CONNECT_TIMEOUT_S": "2",
        "COMMENTS_DATABASE_POOL_TIMEOUT_S": "3",
        "COMMENTS_LIMITS_STORAGE_URI": REDIS_URL,
        "COMMENTS_LIMITS_POST_PER_CLIENT": f"{POSTS + LIMIT_HEADROOM} per hour",
        "COMMENTS_LIMITS_POST_PER_THREAD": f"{10 * POSTS} per hour",
        "COMMENTS_SECURITY_SECRET_KEY": SECRET,
        # Delivery is the two `comments-service worker` processes' job, not the web's.
        "COMMENTS_NOTIFICATIONS_WORKER": "none",
        "COMMENTS_NOTIFICATIONS_TRANSPORT": "smtp",
        "COMMENTS_NOTIFICATIONS_POLL_INTERVAL_SECONDS": "0.2",
        "COMMENTS_SMTP_HOST": "127.0.0.1",
        "COMMENTS_DEMO_ENABLED": "false",
        "COMMENTS_OBSERVABILITY_LOG_LEVEL": "WARNING",
        "COMMENTS_WORKERS": "2",
        "COMMENTS_THREADS": "4",
    }
    smtp = SmtpServer(free_port()).start()
    env["COMMENTS_SMTP_PORT"] = str(smtp.port)
    cli = [sys.executable, "-m", "comments_service.cli"]
    subprocess.run([*cli, "migrate"], env=env, check=True, cwd=ROOT, capture_output=True)
    subprocess.run([*cli, "create-site", SITE], env=env, check=True, cwd=ROOT,
                   capture_output=True)
    cluster = Cluster(ports=[free_port(), free_port()], proxy=proxy,
                      direct_url=scale_database, smtp=smtp)
    logs = tmp_path_factory.mktemp("instances")
    log_files = []
    try:
        for port in cluster.ports:
            log = (logs / f"gunicorn-{port}.log").open("wb")
            log_files.append(log)
            cluster.processes.append(subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py",
                 "comments_service.wsgi:app"],
                env={**env, "COMMENTS_BIND": f"127.0.0.1:{port}"}, cwd=ROOT,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            ))
        for port, process in zip(cluster.ports, cluster.processes, strict=True):
            _wait_healthy(port, process)
        for n in range(2):  # two delivery workers, straight to PostgreSQL
            log = (logs / f"worker-{n}.log").open("wb")
            log_files.append(log)
            cluster.processes.append(subprocess.Popen(
                [*cli, "worker"], env={**env, "COMMENTS_DATABASE_URL": scale_database},
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            ))
        yield cluster
    finally:
        for process in cluster.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in cluster.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for log in log_files:
            log.close()
        proxy.close()
        smtp.stop()


def _post(port: int, article: str, parent: int | None, n: int,
          **extra: Any) -> tuple[int, dict[str, Any]]:
    payload: dict[str, Any] = {"article": article, "body": f"comment {n} with a link "
                               "https://example.org and *emphasis*", "author_name": f"r{n}",
                               **extra}
    if parent is not None:
        payload["parent_id"] = parent
    status, body, _ = _request(port, "POST", f"/api/v1/sites/{SITE}/comments", payload)
    return status, body


def _wait_outbox_settled(url: str) -> dict[str, int]:
    engine = create_engine(url)
    deadline = time.monotonic() + 120
    try:
        while True:
            with engine.connect() as conn:
                counts = dict(conn.execute(text(
                    "SELECT status, count(*) FROM outbox GROUP BY status")).all())
            if not counts.get("pending") or time.monotonic() > deadline:
                return counts
            time.sleep(0.5)
    finally:
        engine.dispose()


def _subscribe_and_confirm(cluster: Cluster) -> dict[int, str]:
    """Ten readers post asking for replies, and confirm their address; {comment id: email}."""
    from comments_service.services import notifications

    subscribed: dict[int, str] = {}
    for n, address in enumerate(SUBSCRIBERS):
        status, body = _post(cluster.ports[n % 2], f"art{n}", None, 100_000 + n,
                             author_email=address, notify="replies")
        assert status == 201, body
        subscribed[body["comment"]["id"]] = address
    # Double opt-in: each unconfirmed address gets only its confirmation, once.
    assert _wait_outbox_settled(cluster.direct_url) == {"sent": len(SUBSCRIBERS)}
    assert sorted(r.rcpt_tos[0] for r in cluster.smtp.sink.received) == sorted(SUBSCRIBERS)
    engine = create_engine(cluster.direct_url)
    with Session(engine) as session:
        for address in SUBSCRIBERS:
            hashed = notifications.address_hash(address, SECRET)
            assert notifications.confirm_address(session, hashed, datetime.now(UTC))
        session.commit()
    engine.dispose()
    return subscribed


def test_two_instances_store_every_comment_once_and_share_one_limit(cluster: Cluster) -> None:
    rng = random.Random(7)
    accepted: dict[str, list[int]] = {f"art{i}": [] for i in range(ARTICLES)}
    asked_parent: dict[int, int | None] = {}
    subscribed = _subscribe_and_confirm(cluster)
    for ident, _ in subscribed.items():
        asked_parent[ident] = None
    for n, ident in enumerate(subscribed):
        accepted[f"art{n}"].append(ident)
    lock = threading.Lock()
    started = time.monotonic()

    def one(n: int) -> int:
        if time.monotonic() - started > DEADLINE_S:
            return -1
        article = f"art{n % ARTICLES}"
        with lock:
            known = accepted[article]
            parent = rng.choice(known) if known and rng.random() < 0.5 else None
        status, body = _post(cluster.ports[n % 2], article, parent, n)
        if status == 201:
            ident = body["comment"]["id"]
            with lock:
                accepted[article].append(ident)
                asked_parent[ident] = parent
        return status

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(one, range(POSTS - len(SUBSCRIBERS))))
    assert statuses.count(201) == POSTS - len(SUBSCRIBERS), {
        s: statuses.count(s) for s in set(statuses)}

    engine = create_engine(cluster.direct_url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT c.id, c.reply_to_id, c.parent_id, c.depth, c.root_id, t.article_key "
            "FROM comments c JOIN threads t ON t.id = c.thread_id")).all()
        threads = conn.execute(text(
            "SELECT t.article_key, t.total_count, t.visible_count, "
            "(SELECT count(*) FROM comments c WHERE c.thread_id = t.id) FROM threads t")).all()
        roots = conn.execute(text(
            "SELECT r.id, r.reply_count, (SELECT count(*) FROM comments c "
            "WHERE c.root_id = r.id AND c.depth > 0) FROM comments r WHERE r.depth = 0")).all()
    engine.dispose()

    # Every accepted comment stored exactly once, under the comment it answered.
    assert sorted(r.id for r in rows) == sorted(asked_parent)
    for row in rows:
        assert row.reply_to_id == asked_parent[row.id]
        if row.reply_to_id is None:
            assert (row.parent_id, row.depth, row.root_id) == (None, 0, row.id)
        else:
            assert row.parent_id is not None
            assert row.article_key in accepted
    # Counters kept at write time match the rows, despite concurrent writers.
    assert len(threads) == ARTICLES
    for key, total, visible, stored in threads:
        assert (total, visible) == (stored, stored), key
    for ident, reply_count, stored in roots:
        assert reply_count == stored, ident

    # Two workers delivered every notification exactly once: one email per reply to a
    # subscriber's comment, plus one confirmation per address, and nothing twice.
    outbox = _wait_outbox_settled(cluster.direct_url)
    assert set(outbox) <= {"sent", "cancelled"}, outbox
    replies_to_subscribers = sum(1 for r in rows if r.reply_to_id in subscribed)
    received = cluster.smtp.sink.received
    deliveries = [(tuple(r.rcpt_tos), r.message["Message-ID"]) for r in received]
    assert len(deliveries) == len(set(deliveries)), "a message was delivered twice"
    assert len(received) == replies_to_subscribers + len(SUBSCRIBERS)
    assert outbox.get("sent") == len(received)
    for ident, address in subscribed.items():
        expected = sum(1 for r in rows if r.reply_to_id == ident)
        notices = [r for r in cluster.smtp.sink.to(address) if r.message["In-Reply-To"]]
        assert len(notices) == expected, address

    # One limit across both instances: only the headroom left after the load is accepted.
    extra = [_post(cluster.ports[n % 2], "art0", None, POSTS + n)[0] for n in range(EXTRA)]
    assert extra.count(201) == LIMIT_HEADROOM
    assert extra.count(429) == EXTRA - LIMIT_HEADROOM


def test_database_blink_answers_503_then_recovers_by_itself(cluster: Cluster) -> None:
    path = f"/api/v1/sites/{SITE}/thread?article=art1"
    for port in cluster.ports:
        assert _request(port, "GET", path)[0] == 200
    cluster.proxy.cut()
    try:
        for port in cluster.ports:
            for _ in range(4):  # reach both workers of each instance
                status, body, headers = _request(port, "GET", path)
                assert status == 503, body
                assert body["error"]["code"] == "unavailable"
                assert headers["Retry-After"] == "5"
            assert _request(port, "GET", "/readyz")[0] == 503
            assert _request(port, "GET", "/healthz")[0] == 200
    finally:
        cluster.proxy.restore()
    deadline = time.monotonic() + 30
    recovered = {port: False for port in cluster.ports}
    while time.monotonic() < deadline and not all(recovered.values()):
        for port in cluster.ports:
            recovered[port] = recovered[port] or _request(port, "GET", path)[0] == 200
        time.sleep(0.2)
    assert all(recovered.values()), recovered
    for port in cluster.ports:
        for _ in range(4):
            assert _request(port, "GET", path)[0] == 200
