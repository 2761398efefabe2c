"""How `comments-service serve` runs gunicorn: the worker class, its sizes, and the
process set-up the worker class needs before anything else happens.

With [server] worker_class = "gevent" (the default) every request and every live
stream is a greenlet in one OS thread per process: an idle reader's stream is a
parked greenlet and a socket, not a thread. gunicorn's gevent worker patches the
standard library (``gevent.monkey.patch_all``) first thing after the fork, and the
worker builds its app after that. So the master must not build one: psycopg
chooses how it waits for the server when it is first imported (gevent's ``select``
only when patching came first, else a C wait that stalls every greenlet of the
process), and a timer or lock started unpatched in the master would be inherited
half-alive by the workers. The master only imports modules; migrating and the demo
site happen in a child process it waits for.
"""

from __future__ import annotations

import multiprocessing
import resource
from collections.abc import Callable
from typing import Any

import click

from comments_service.config import Settings
from comments_service.live import RESERVED_DESCRIPTORS, streams_per_process


def raise_open_files_limit() -> int:
    """Raise the soft limit on open files to the hard one (each stream is a socket);
    returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):  # e.g. an unlimited hard limit the kernel refuses
            return soft
    return hard


def _run_reporting(work: Callable[..., None], *args: Any) -> None:
    try:
        work(*args)
    except click.ClickException as exc:
        exc.show()
        raise SystemExit(1) from None


def in_child_process(work: Callable[..., None], *args: Any) -> None:
    """Run ``work(*args)`` in a forked child and wait; a failure there ends `serve`."""
    child = multiprocessing.get_context("fork").Process(
        target=_run_reporting, args=(work, *args), name="comments-serve-prepare")
    child.start()
    child.join()
    if child.exitcode != 0:
        raise click.ClickException(f"preparing the database failed (exit {child.exitcode})")


def prepare(settings: Settings) -> dict[str, Any]:
    """Raise the open-files limit; returns gunicorn's settings for `serve`."""
    raise_open_files_limit()
    server = settings.server
    return {
        "bind": f"{server.host}:{server.port}",
        "workers": server.workers,
        "threads": server.threads,
        "worker_class": server.worker_class,
        # gevent: connections a worker holds at once, streams included; the streams'
        # cap answers first (503), the rest is room for ordinary requests.
        "worker_connections": streams_per_process(settings) + RESERVED_DESCRIPTORS,
        "accesslog": "-",
        # gunicorn's own ceiling (1 MiB): [server] max_url_bytes answers first, as JSON.
        "limit_request_line": 0,
    }
