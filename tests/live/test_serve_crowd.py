"""`comments-service serve` (a real gunicorn, as `make run` starts it) holds a crowd of
live streams with few threads: streams are greenlets, not threads (issue 19).

No timing is asserted: every wait is bounded generously, and what is checked is that
all streams are served, ordinary requests still answer while they are open, a post
reaches every one of them, and the metrics count them.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

STREAMS = 300
START_TIMEOUT_S = 120
READ_TIMEOUT_S = 60
EVENTS = "/api/v1/sites/demo/thread/events?article=crowd"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """`serve` with 4 threads on a free port, its SQLite database in tmp_path."""
    port = _free_port()
    env = {**os.environ, "COMMENTS_DATABASE_URL": f"sqlite:///{tmp_path / 'crowd.db'}",
           "COMMENTS_SERVER_THREADS": "4", "COMMENTS_LIVE_HEARTBEAT_SECONDS": "2"}
    env.pop("COMMENTS_CONFIG", None)
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "comments_service.cli", "serve", "--port", str(port)],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert server.poll() is None, log_path.read_text()
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=5):
                    break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.2)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _open_stream(port: int) -> tuple[socket.socket, BinaryIO]:
    """A raw HTTP/1.0 SSE request; returns the socket and its lines once `ready` came."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT_S)
    sock.sendall(f"GET {EVENTS} HTTP/1.0\r\nAccept: text/event-stream\r\n\r\n".encode())
    lines: BinaryIO = sock.makefile("rb")
    status = lines.readline()
    assert status.split()[1] == b"200", status
    for line in lines:
        if line.startswith(b"event: ready"):
            break
    return sock, lines


def _metric(base: str, name: str) -> float:
    with urllib.request.urlopen(f"{base}/metrics", timeout=30) as answer:
        text = answer.read().decode()
    found = re.search(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.MULTILINE)
    assert found, f"{name} not in /metrics"
    return float(found.group(1))


def _request(base: str, path: str, body: dict[str, str] | None = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base}{path}", data=data,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.status, answer.read()


def test_hundreds_of_streams_are_served_by_four_threads_while_requests_answer(
    served: str,
) -> None:
    """300 open streams on a server of 4 threads (gthread would have room for 2): every
    one is answered 200 and gets `ready`; with all of them open, the health check, the
    thread page and a post still answer, the post reaches all 300 streams, and the
    open-streams gauge counts them. Once the readers hang up, the heartbeats find them
    gone and every slot is given back."""
    port = int(served.rsplit(":", 1)[1])
    streams = [_open_stream(port) for _ in range(STREAMS)]
    try:
        assert _request(served, "/healthz")[0] == 200
        assert _request(served, "/api/v1/sites/demo/thread?article=crowd")[0] == 200
        assert _metric(served, "comments_live_streams") == STREAMS
        status, body = _request(served, "/api/v1/sites/demo/comments",
                                {"article": "crowd", "body": "To the crowd."})
        assert status == 201
        comment_id = json.loads(body)["comment"]["id"]
        reached = 0
        for _sock, lines in streams:
            for line in lines:
                if line.startswith(b'data: {"'):
                    assert json.loads(line[6:])["comment_id"] == comment_id
                    reached += 1
                    break
        assert reached == STREAMS
        assert _metric(served, "comments_live_events_fanned_out_total") == STREAMS
    finally:
        for sock, lines in streams:
            lines.close()
            sock.close()
    # Gone readers are found by their next heartbeat (2 s here) and give their slots back.
    deadline = time.monotonic() + READ_TIMEOUT_S
    while _metric(served, "comments_live_streams") > 0:
        assert time.monotonic() < deadline, "closed streams still hold their slots"
        time.sleep(0.5)
