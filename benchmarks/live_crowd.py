"""Issue 19: a crowd of live-update readers on one article, against real servers.

Embedded: `comments-service serve` exactly as `make run` starts it (the defaults: one
gevent worker, SQLite, in-memory broker and limits), 10,000 readers
(benchmarks/live_readers.py, its own process) each from its own 127.A.B.1. Measured:
how many streams open; the thread page's and a post's p50 without, then with, the
streams open; the worker's RSS per open stream above the idle worker; and, for a
few comments posted to the article, the time from each post's 201 to every reader's
receipt (p50, p99 over all readers and posts).

Scale-out (when a PostgreSQL and a Redis URL are given): two `serve` instances on
PostgreSQL with the Redis broker, the readers dealt over both, posts sent to the
first: the same arrival times, over both instances' readers.

    python -m benchmarks.run --live-only [--live-readers 10000]
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks import servers

READERS = 10_000
ARTICLE = "crowd"
SITE = "demo"
FANOUT_POSTS = 3
TIMED_REQUESTS = 60
TIMED_POSTS = 20
# Where single requests and posts come from: far from the readers' 127.1-127.40 nets.
POSTER_NET = 200
# The bounds.
TARGETS = {"delivery_p50_ms": 500.0, "delivery_p99_ms": 2000.0, "slowdown": 2.0,
           "kib_per_stream": 40.0}

Measured = dict[str, Any]


def _poster_address(index: int) -> str:
    return f"127.{POSTER_NET}.{index % 256}.{1 + index // 256 % 250}"


def _request(port: int, method: str, path: str, body: dict[str, Any] | None,
             source: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(servers.HOST, port, timeout=30,
                                            source_address=(source, 0))
    try:
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if payload else {}
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class Poster:
    """Posts and reads from ever new source addresses (no per-address limit is hit)."""

    def __init__(self) -> None:
        self.count = 0

    def post(self, port: int, article: str) -> tuple[float, int]:
        """One comment; returns time.time() when its 201 came, and its id."""
        self.count += 1
        body = {"article": article, "author_name": "Crowd",
                "body": f"Comment {self.count} at {time.time()!r} for the crowd."}
        status, data = _request(port, "POST", f"/api/v1/sites/{SITE}/comments", body,
                                _poster_address(self.count))
        answered = time.time()
        if status != 201:
            raise RuntimeError(f"post answered {status}: {data[:200]!r}")
        return answered, int(json.loads(data)["comment"]["id"])

    def timed(self, port: int, what: str, count: int) -> dict[str, float]:
        """p50 of `count` thread pages (of the crowd's article) or posts (new articles)."""
        times = []
        for index in range(count):
            started = time.perf_counter()
            if what == "page":
                self.count += 1
                status, _ = _request(port, "GET", f"/api/v1/sites/{SITE}/thread?article="
                                     f"{ARTICLE}", None, _poster_address(self.count))
                if status != 200:
                    raise RuntimeError(f"thread page answered {status}")
            else:
                self.post(port, f"{ARTICLE}-timed-{index}-{self.count}")
            times.append((time.perf_counter() - started) * 1000)
        return {"p50_ms": statistics.median(times), "count": count}


@contextmanager
def crowd(ports: list[int], count: int) -> Iterator[tuple[subprocess.Popen[str], Measured]]:
    """The readers' process, once every reader has its answer; closed at the end."""
    argv = [sys.executable, "-m", "benchmarks.live_readers", "--count", str(count),
            "--path", f"/api/v1/sites/{SITE}/thread/events?article={ARTICLE}"]
    for port in ports:
        argv += ["--target", f"{servers.HOST}:{port}"]
    process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True, cwd=Path(__file__).resolve().parent.parent)
    try:
        assert process.stdout is not None
        opened = json.loads(process.stdout.readline() or "{}")
        yield process, opened
    finally:
        if process.stdin is not None:
            process.stdin.write("close\n")
            process.stdin.flush()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _ask(process: subprocess.Popen[str], command: str) -> dict[str, Any]:
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write(command + "\n")
    process.stdin.flush()
    answer: dict[str, Any] = json.loads(process.stdout.readline())
    return answer


def server_delivery_ms(port: int) -> float | None:
    """The server's own view (comments_live_delivery_seconds): mean time from a commit to
    the last of its streams having written the event, over the events so far."""
    status, body = _request(port, "GET", "/metrics", None, "127.0.0.1")
    if status != 200:
        return None
    figures = {}
    for line in body.decode().splitlines():
        name, _, value = line.partition(" ")
        if name in ("comments_live_delivery_seconds_sum", "comments_live_delivery_seconds_count"):
            figures[name.rsplit("_", 1)[1]] = float(value)
    if not figures.get("count"):
        return None
    return figures["sum"] / figures["count"] * 1000


def fan_out(process: subprocess.Popen[str], poster: Poster, port: int,
            opened: int) -> Measured:
    """Post FANOUT_POSTS comments to the crowd's article; arrival times after each 201."""
    posted: list[tuple[float, int]] = []
    for _ in range(FANOUT_POSTS):
        posted.append(poster.post(port, ARTICLE))
        time.sleep(3)
    arrivals = _ask(process, "report")["arrivals"]
    delays: list[float] = []
    reached = []
    for answered, comment_id in posted:
        times = arrivals.get(str(comment_id), [])
        reached.append(len(times))
        delays += [(t - answered) * 1000 for t in times]
    delays.sort()
    if not delays:
        return {"reached": 0, "of": opened, "note": "no reader got a post"}
    server_ms = server_delivery_ms(port)
    server_note = "" if server_ms is None else (
        f"; the server's own commit-to-last-written, mean {server_ms:.0f} ms")
    return {
        "p50_ms": delays[len(delays) // 2],
        "p99_ms": delays[min(len(delays) - 1, int(len(delays) * 0.99))],
        "max_ms": delays[-1],
        "reached": min(reached), "of": opened,
        "server_ms": server_ms,
        "note": f"{FANOUT_POSTS} posts; readers reached by each: {reached} of {opened}"
                f"{server_note}",
    }


def serve_server(venv: Path, repo: Path, port: int, work: Path, name: str,
                 env: dict[str, str]) -> servers.Server:
    """`comments-service serve` as `make run` runs it, on `port`, its data in `work`."""
    return servers.Server(
        name, [str(venv / "bin" / "comments-service"), "serve", "--port", str(port)],
        port, "/healthz", cwd=repo, log_path=work / f"{name}.log", workers=1,
        env={"COMMENTS_DATABASE_URL": f"sqlite:///{work / (name + '.db')}", **env},
    )


def embedded(venv: Path, repo: Path, work: Path, count: int = READERS) -> Measured:
    """The embedded default (`make run`) under a crowd of `count` readers."""
    port = servers.free_port()
    server = serve_server(venv, repo, port, work, "live-embedded", {})
    poster = Poster()
    out: Measured = {}
    with servers.running(server):
        poster.post(port, ARTICLE)  # the thread exists, with one comment
        poster.timed(port, "page", 10)  # warm
        out["page-idle"] = poster.timed(port, "page", TIMED_REQUESTS)
        out["post-idle"] = poster.timed(port, "post", TIMED_POSTS)
        time.sleep(1)
        idle_mib = server.worker_rss_mib()[0]
        with crowd([port], count) as (process, opened):
            out["crowd"] = {**opened, "readers": count,
                            "note": f"refused {dict(opened.get('refused', {}))}, failed "
                                    f"{dict(opened.get('failed', {}))}, opened in "
                                    f"{opened.get('seconds', 0):.1f} s"}
            time.sleep(2)
            open_mib = server.worker_rss_mib()[0]
            streams = max(1, opened.get("opened", 0))
            out["memory"] = {"kib_per_stream": (open_mib - idle_mib) * 1024 / streams,
                             "idle_mib": idle_mib, "open_mib": open_mib,
                             "note": f"worker RSS {idle_mib:.0f} MiB idle, {open_mib:.0f} "
                                     f"MiB with {streams:,} streams"}
            out["page-crowd"] = poster.timed(port, "page", TIMED_REQUESTS)
            out["post-crowd"] = poster.timed(port, "post", TIMED_POSTS)
            out["delivery"] = fan_out(process, poster, port, opened.get("opened", 0))
            out["crowd"]["open_at_end"] = _ask(process, "status")["open_now"]
    return out


def scale_out(venv: Path, repo: Path, work: Path, postgres_url: str, redis_url: str,
              count: int = READERS) -> Measured:
    """Two instances on PostgreSQL + Redis, readers dealt over both, posts to the first."""
    env = {"COMMENTS_DATABASE_URL": postgres_url, "COMMENTS_LIVE_BACKEND": "redis",
           "COMMENTS_LIVE_REDIS_URL": redis_url, "COMMENTS_LIMITS_STORAGE_URI": redis_url,
           "COMMENTS_SECURITY_SECRET_KEY": "benchmark-secret-key-not-for-production"}
    ports = [servers.free_port(), servers.free_port()]
    first, second = (serve_server(venv, repo, port, work, f"live-scale-{i}", env)
                     for i, port in enumerate(ports))
    poster = Poster()
    with servers.running(first), servers.running(second):
        poster.post(ports[0], ARTICLE)
        with crowd(ports, count) as (process, opened):
            time.sleep(2)
            delivery = fan_out(process, poster, ports[0], opened.get("opened", 0))
    delivery["note"] = (f"{opened.get('opened', 0):,} of {count:,} streams open over 2 "
                        f"instances (refused {dict(opened.get('refused', {}))}, failed "
                        f"{dict(opened.get('failed', {}))}); {delivery.get('note', '')}")
    return {"delivery-scale": delivery, "crowd-scale": {"opened": opened.get("opened", 0)}}


def targets() -> Measured:
    """The issue's bounds as a baseline row of their own."""
    return {"delivery": {"p50_ms": TARGETS["delivery_p50_ms"],
                         "p99_ms": TARGETS["delivery_p99_ms"]},
            "memory": {"kib_per_stream": TARGETS["kib_per_stream"]},
            "crowd": {"opened": READERS}}


def measure(venv: Path, repo: Path, work: Path, count: int, postgres_url: str | None,
            redis_url: str | None, log: Any = print) -> dict[str, Measured]:
    """Every live row's figures: {"ours-live": ..., "live-targets": ...}."""
    log(f"live: {count:,} readers against `serve` as `make run` starts it")
    ours = embedded(venv, repo, work, count)
    for key in ("crowd", "memory", "page-idle", "page-crowd", "post-idle", "post-crowd",
                "delivery"):
        log(f"  {key}: {json.dumps(ours.get(key), default=str)[:300]}")
    if postgres_url and redis_url:
        log(f"live: scale-out, 2 instances on PostgreSQL + Redis, {count:,} readers")
        ours.update(scale_out(venv, repo, work, postgres_url, redis_url, count))
        log(f"  delivery-scale: {json.dumps(ours['delivery-scale'])[:300]}")
    else:
        log("live: scale-out skipped (needs COMMENTS_BENCH_POSTGRES_URL and "
            "COMMENTS_BENCH_REDIS_URL)")
    bounds = targets()
    bounds["crowd"]["opened"] = count
    return {"ours-live": ours, "live-targets": bounds}


def default_redis_url() -> str | None:
    return os.environ.get("COMMENTS_BENCH_REDIS_URL")
