"""An installed copy starts from anywhere: the wheel carries everything it reads (issue 24.9).

The first test is quick and always runs: the defaults inside the package are the documented
config/default.toml. The second builds the wheel from a copy of the sources, installs it
into a fresh virtualenv outside the checkout (pip may take the dependencies from its
cache), and runs ``comments-service migrate`` and ``serve`` from an empty folder, as an
operator would after ``pip install``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Generous bounds for a loaded machine; they bound waiting, they assert nothing about speed.
INSTALL_TIMEOUT_SECONDS = 900
START_TIMEOUT_SECONDS = 120


def test_packaged_defaults_are_the_documented_config_default_toml() -> None:
    packaged = resources.files("comments_service").joinpath("default.toml").read_bytes()
    documented = (ROOT / "config" / "default.toml").read_bytes()
    assert packaged == documented, (
        "comments_service/default.toml (what the service reads) and config/default.toml "
        "(the documented copy) differ: edit one, then copy it over the other"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(args: list[str | Path], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=INSTALL_TIMEOUT_SECONDS, check=False)
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout


def _clean_env(home: Path) -> dict[str, str]:
    """The environment without anything pointing into the checkout or at test databases."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("COMMENTS_", "PYTHON", "VIRTUAL_ENV"))}
    env["HOME"] = os.environ.get("HOME", str(home))
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv, outside the checkout, with the wheel built from our sources."""
    base = tmp_path_factory.mktemp("installed")
    source = base / "src"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    # A copy, so the build's own build/ and egg-info folders never land in the checkout.
    # No .mo: the build compiles the catalogues itself (setup.py), as from a fresh clone.
    shutil.copytree(ROOT / "comments_service", source / "comments_service",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo"))
    env = _clean_env(base)
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", base / "dist", source],
         base, env)
    [wheel] = (base / "dist").glob("comments_service-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert "comments_service/translations/es/LC_MESSAGES/messages.mo" in archive.namelist()
    venv = base / "venv"
    # No pip inside: the test's own pip installs into it (--python), which saves ensurepip.
    _run([sys.executable, "-m", "venv", "--without-pip", venv], base, env)
    _run([sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "-q",
          "--disable-pip-version-check", wheel], base, env)
    return venv


@pytest.fixture
def empty_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "anywhere"
    folder.mkdir()
    return folder


@pytest.fixture
def served(installed: Path, empty_folder: Path) -> Iterator[str]:
    """`comments-service migrate`, then `serve` on a free loopback port, from the empty folder."""
    env = _clean_env(empty_folder)
    command = installed / "bin" / "comments-service"
    where = _run([installed / "bin" / "python", "-c",
                  "import comments_service; print(comments_service.__file__)"], empty_folder, env)
    assert Path(where.strip()).is_relative_to(installed), where
    assert "database is at the newest schema" in _run([command, "migrate"], empty_folder, env)
    port = _free_port()
    log = (empty_folder.parent / "serve.log").open("w")
    server = subprocess.Popen(
        [str(command), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        cwd=empty_folder, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(server, base_url, empty_folder.parent / "serve.log")
        yield base_url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def _wait_until_up(server: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=5) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise AssertionError(f"serve did not answer within {START_TIMEOUT_SECONDS}s: "
                         f"{log.read_text()}")


def _get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=30) as answer:
        return answer.status, answer.headers.get_content_type(), answer.read()


def test_installed_wheel_migrates_serves_and_takes_a_comment_from_an_empty_folder(
    served: str, empty_folder: Path
) -> None:
    status, kind, body = _get(f"{served}/demo")
    assert (status, kind) == (200, "text/html")
    assert b"embed.js" in body
    status, kind, body = _get(f"{served}/embed.js")
    assert (status, kind) == (200, "text/javascript")
    assert len(body) > 1000
    status, kind, body = _get(f"{served}/admin/login")
    assert (status, kind) == (200, "text/html")
    assert b"password" in body.lower()
    # The catalogues compiled by the build: the sign-in page in the browser's language.
    asked = urllib.request.Request(f"{served}/admin/login", headers={"Accept-Language": "es"})
    with urllib.request.urlopen(asked, timeout=30) as answer:
        assert "Inicie sesión para moderar" in answer.read().decode()

    request = urllib.request.Request(
        f"{served}/api/v1/sites/demo/comments", method="POST",
        data=json.dumps({"article": "hello-world", "author_name": "Ann",
                         "body": "Installed and *working*."}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 201
        posted = json.load(answer)
    assert posted["comment"]["body_html"] == "<p>Installed and <em>working</em>.</p>"
    status, _, body = _get(f"{served}/api/v1/sites/demo/thread?article=hello-world")
    assert [c["id"] for c in json.loads(body)["comments"]] == [posted["comment"]["id"]]
