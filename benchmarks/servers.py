"""Start and stop the servers under test: every one under gunicorn, on loopback, same workers.

Each server runs in its own process group, so stopping it stops its workers too, and
``running()`` stops it whatever happens inside the ``with`` block.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import load

HOST = "127.0.0.1"
WORKERS = 2
# One thread per worker: on 2 cores, CPU-bound Python handlers in several threads of one
# process contend for the GIL; 4 threads halved our revalidations per second (measured,
# benchmarks/RESULTS.md). `python -m benchmarks.run --threads N` measures another count.
THREADS = 1
WORKER_CLASS = "gthread"
# Long enough for Isso's slowest single requests; a worker is never killed mid-measurement.
WORKER_TIMEOUT_S = 300


def gunicorn_settings() -> str:
    return (
        f"gunicorn 27.0.1, {WORKERS} workers, worker class {WORKER_CLASS}, {THREADS} "
        f"thread{'s' if THREADS > 1 else ''} each, at most {worker_connections()} "
        "connections each (so that the load's connections are shared out evenly), "
        "keep-alive 5 s, no access log, bound to 127.0.0.1"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def worker_connections() -> int:
    """Each worker holds at most its share of the load's connections.

    Every worker accepts from the one listening socket and wrk opens all its
    connections at once, so without a cap the first worker to wake took most or all
    of them: a load run measured one worker. Seen in 36 of 40 runs of a smoke run
    (0/8, 1/7, 7/1 connections per worker), for the ceiling as for every server, and
    the same server measured twice in a row gave ~4,900 or ~7,800 req/s by that alone.
    gthread stops accepting at the cap and keeps serving the connections it holds. It
    keeps alive at most the cap less its threads, hence the threads on top: no
    connection of the load is closed after a response (8 over 2 workers: 5 and 3).
    """
    return -(-load.CONNECTIONS // WORKERS) + THREADS


def gunicorn_argv(gunicorn: Path, app: str, port: int) -> list[str]:
    """The one command line every server under test runs with."""
    return [
        str(gunicorn), "--workers", str(WORKERS), "--worker-class", WORKER_CLASS,
        "--threads", str(THREADS), "--worker-connections", str(worker_connections()),
        "--bind", f"{HOST}:{port}", "--keep-alive", "5",
        "--timeout", str(WORKER_TIMEOUT_S), "--graceful-timeout", "5", app,
    ]


@dataclass
class Server:
    name: str
    argv: list[str]
    port: int
    ready_path: str
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    # gunicorn workers to wait for (`comments-service serve` runs [server] workers = 1)
    workers: int = WORKERS

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout_s: float = 60) -> None:
        log = self.log_path.open("ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(
            self.argv, cwd=self.cwd, env={**os.environ, **self.env}, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; "
                                   f"see {self.log_path}")
            try:
                url = self.base_url + self.ready_path  # loopback http, built here
                with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310
                    if resp.status == 200 and len(self.worker_pids()) == self.workers:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer {self.ready_path} in {timeout_s} s")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        return children(self.process.pid)

    def worker_rss_mib(self) -> list[float]:
        return [rss_mib(pid) for pid in self.worker_pids()]

    def connections_by_worker(self) -> list[int]:
        """How many established client connections each worker holds now."""
        inodes = established_inodes(self.port)
        return [sum(1 for inode in socket_inodes(pid) if inode in inodes)
                for pid in self.worker_pids()]


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(part) for part in text.split()]


def established_inodes(port: int) -> set[str]:
    """Socket inodes of the established TCP connections whose local port is ``port``."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
                found.add(inode)
    return found


def socket_inodes(pid: int) -> list[str]:
    """The inodes of the sockets a process has open."""
    inodes = []
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return []
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.append(target[len("socket:["):-1])
    return inodes


def rss_mib(pid: int) -> float:
    """VmRSS of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise LookupError(f"no VmRSS for {pid}")


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        server.start()
        yield server
    finally:
        server.stop()


# ---- the three kinds of server ------------------------------------------------


def ceiling_server(venv: Path, repo: Path, port: int, log: Path) -> Server:
    """A minimal Flask app returning a small JSON object (benchmarks/ceiling.py)."""
    return Server(
        "ceiling", gunicorn_argv(venv / "bin" / "gunicorn", "benchmarks.ceiling:app", port),
        port, "/", cwd=repo, log_path=log,
    )


# Defences stay on: limits enabled with their default strategy and storage, only the
# numbers raised so one loopback client measuring for seconds is never refused.
OUR_BENCH_LIMITS = {
    "COMMENTS_LIMITS_ENABLED": "true",
    "COMMENTS_LIMITS_POST_PER_CLIENT": "1000000 per minute",
    "COMMENTS_LIMITS_POST_PER_EMAIL": "1000000 per minute",
    "COMMENTS_LIMITS_POST_PER_THREAD": "1000000 per minute",
    "COMMENTS_LIMITS_READ_PER_CLIENT": "1000000 per minute",
    # The one defence off: the load generator's probe and warm-up repeat bodies, which
    # the duplicate rule (rightly) refuses. Its cost, one indexed query, is not measured.
    "COMMENTS_SPAM_DUPLICATE_WINDOW_SECONDS": "0",
}


def our_server(
    venv: Path, repo: Path, port: int, database_url: str, work: Path, log: Path,
    extra_env: Mapping[str, str] | None = None, name: str = "ours",
) -> Server:
    """comments_service as production runs it (JSON logs, metrics, limits), SQLite or PG.

    ``extra_env`` changes its configuration (COMMENTS_* variables) for one measurement.
    """
    metrics_dir = work / f"prometheus-{port}"
    metrics_dir.mkdir(parents=True, exist_ok=True)
    env = {
        "COMMENTS_DATABASE_URL": database_url,
        "COMMENTS_SECURITY_SECRET_KEY": "benchmark-secret-key-not-for-production",
        "COMMENTS_SERVER_ENVIRONMENT": "production",
        "COMMENTS_SERVER_PUBLIC_URL": f"http://127.0.0.1:{port}",
        # What gunicorn runs it with, as config/gunicorn.conf.py tells it in production:
        # live streams are capped by the threads (with one thread, none are opened).
        "COMMENTS_SERVER_WORKERS": str(WORKERS),
        "COMMENTS_SERVER_THREADS": str(THREADS),
        "COMMENTS_DEMO_ENABLED": "false",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        **OUR_BENCH_LIMITS,
        **(extra_env or {}),
    }
    return Server(
        name, gunicorn_argv(venv / "bin" / "gunicorn", "comments_service.wsgi:app", port),
        port, "/healthz", env=env, cwd=repo, log_path=log,
    )


def write_isso_config(path: Path, db_path: Path, port: int, page_origin: str) -> Path:
    """Isso's config for one database: loopback only, guard (rate limits, checks) off."""
    path.write_text(
        "[general]\n"
        f"dbpath = {db_path}\n"
        f"host = {page_origin}\n"
        "notify = stdout\n"
        "[server]\n"
        f"listen = http://{HOST}:{port}/\n"
        "[guard]\n"
        "enabled = false\n"
        "[moderation]\n"
        "enabled = false\n"
    )
    return path


def isso_server(venv: Path, port: int, config: Path, log: Path) -> Server:
    return Server(
        "isso", gunicorn_argv(venv / "bin" / "gunicorn", "isso.run:application", port),
        port, "/info", env={"ISSO_SETTINGS": str(config)}, cwd=config.parent, log_path=log,
    )
