"""The OpenAPI document and the live service agree, as schemathesis (a generic fuzzer) sees it.

`comments-service serve` runs under gunicorn on a free 127.0.0.1 port with a fresh
SQLite database, a moderator token and one comment; schemathesis's own CLI then
runs every phase with every check on against it, bounded in examples per
operation. What it may not count as a failure, and why, is in schemathesis.toml
beside this file (only answers that depend on state or secrets no schema can
describe: opaque cursors, spam defences).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
SECRET = "schemathesis-conformance-secret-0123456789abcdef"
# Bounded: a few examples per operation keep the run well under two minutes here.
MAX_EXAMPLES = 8
SEED = 24


@dataclass
class LiveService:
    base_url: str
    token: str
    log: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _request(url: str, method: str = "GET", body: dict | None = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(300):  # 60 s at most
        if process.poll() is not None:
            raise RuntimeError(f"the service exited with {process.returncode}")
        try:
            if _request(f"{base}/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the service did not become healthy")


def _service_env(tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "COMMENTS_DATABASE_URL": f"sqlite:///{tmp / 'comments.db'}",
        "COMMENTS_SECURITY_SECRET_KEY": SECRET,
        # The fuzzer sends thousands of requests from one address.
        "COMMENTS_LIMITS_ENABLED": "false",
        "COMMENTS_NOTIFICATIONS_WORKER": "none",
        "COMMENTS_DEMO_ENABLED": "true",
        "COMMENTS_OBSERVABILITY_LOG_LEVEL": "WARNING",
        # Live streams and long polls end within a second, so a fuzzed request to the
        # events route does not hold the run for the default 10 s or 300 s.
        "COMMENTS_LIVE_POLL_SECONDS": "1",
        "COMMENTS_LIVE_HEARTBEAT_SECONDS": "1",
        "COMMENTS_LIVE_MAX_STREAM_SECONDS": "1",
    }


@pytest.fixture(scope="module")
def live_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    tmp = tmp_path_factory.mktemp("conformance")
    env = _service_env(tmp)
    cli = str(BIN / "comments-service")
    port = _free_port()
    log = tmp / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen([cli, "serve", "--port", str(port)], env=env, cwd=tmp,
                                   stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        subprocess.run([cli, "moderator", "add", "mod@example.com", "--site", "demo",
                        "--password-stdin"], input=b"conformance-password-1\n", env=env,
                       cwd=tmp, check=True, capture_output=True)
        token = subprocess.run([cli, "moderator", "token", "mod@example.com"], env=env,
                               cwd=tmp, check=True, capture_output=True,
                               text=True).stdout.strip().splitlines()[-1]
        status, _ = _request(f"{base}/api/v1/sites/demo/comments", "POST",
                             {"article": "fuzzed", "author_name": "Ann", "body": "Hello."})
        assert status == 201
        yield LiveService(base, token, log)
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_over_bound_id_is_404_for_every_method_not_405(live_service: LiveService) -> None:
    base = f"{live_service.base_url}/api/v1/sites/demo/comments"
    for method, path in [("DELETE", "/99999999999/vote"), ("PUT", "/2147483648/vote"),
                         ("PATCH", "/99999999999"), ("DELETE", "/99999999999")]:
        status, body = _request(base + path, method)
        assert status == 404, (method, path, body)
        assert json.loads(body)["error"]["code"] == "not_found"


def test_over_long_url_gets_the_json_error_shape(live_service: LiveService) -> None:
    status, body = _request(
        f"{live_service.base_url}/api/v1/sites/demo/counts?article={'a' * 70000}")
    assert status == 414
    assert json.loads(body)["error"]["code"] == "uri_too_long"


def test_schemathesis_finds_no_disagreement_with_every_check_on(
    live_service: LiveService, tmp_path: Path
) -> None:
    command = [
        str(BIN / "st"), "--config-file", str(HERE / "schemathesis.toml"), "run",
        f"{live_service.base_url}/api/v1/openapi.json",
        "--checks", "all", "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED),
        "--workers", "2", "--no-color", "--suppress-health-check", "too_slow",
        "--header", f"Authorization: Bearer {live_service.token}",
        "--report", "junit", "--report-dir", str(tmp_path),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300,
                            check=False, cwd=tmp_path)
    output = result.stdout + result.stderr
    (tmp_path / "schemathesis.out").write_text(output)
    assert result.returncode == 0, output[-20000:]
    assert "Failures:" not in output
    generated = re.search(r"(\d+) generated", output)
    assert generated is not None, output[-3000:]
    assert int(generated.group(1)) > 500  # every phase ran, not a handful of cases
