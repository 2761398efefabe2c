"""What rate limits and spam rules cost on the post path, against the bare path, in one run.

Posts comments through the whole Flask stack (test client: routing, CORS, JSON
parsing, limits, spam rules, sanitizing, one SQLite transaction) under four
configurations, interleaved round by round so that a warmer cache or a fuller
table favours none of them, and prints the median time per post and its ratio
to the bare path. Both this process's CPU time (steady on a busy machine) and
wall time (which alone includes waiting on Redis) are shown:

    python benchmarks/post_path.py [--posts 200] [--rounds 7] [--redis redis://127.0.0.1:6379/14]
                                   [--dir /dev/shm]

Limits are set high enough never to refuse, so each post pays for counting and
nothing is cut short; every post comes from another network, to another of 20
articles, with a valid form token, an empty honeypot, two links and a blocked-
words list of 50 entries to scan. The checker (a network call) is left out.
The database lives on tmpfs (/dev/shm) when there is one, so that disk flushes,
which no configuration changes, do not drown the difference in noise.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask

from comments_service import create_app
from comments_service.cli import migrate_database
from comments_service.extensions import db
from comments_service.services import sites, spam

SITE = "bench"
SECRET = "benchmark-secret-key-not-for-production"  # noqa: S105 - a throwaway key
NEVER_REFUSE = "1000000 per minute"
BLOCKED_WORDS = [f"blockedword{i}" for i in range(48)] + ["casino", "buy followers"]


def overrides(url: str, *, limits: bool, rules: bool, storage: str) -> dict[str, Any]:
    return {
        "database": {"url": url},
        "security": {"secret_key": SECRET},
        "demo": {"enabled": False},
        "limits": {
            "enabled": limits,
            "storage_uri": storage,
            "post_per_client": NEVER_REFUSE,
            "post_per_email": NEVER_REFUSE,
            "post_per_thread": NEVER_REFUSE,
        },
        "spam": {
            "enabled": rules,
            "form_token_min_seconds": 0,
            "blocked_words": BLOCKED_WORDS,
            "max_links": 3,
        },
    }


def run_posts(app: Flask, posts: int, start: int) -> tuple[float, float]:
    """(CPU, wall) seconds for `posts` comments, each from its own /24, as a widget sends them."""
    client = app.test_client()
    token = spam.issue_form_token(SECRET, SITE).token
    began_cpu, began = time.process_time(), time.perf_counter()
    for n in range(start, start + posts):
        response = client.post(
            f"/api/v1/sites/{SITE}/comments",
            json={
                "article": f"article-{n % 20}",
                "body": f"Comment {n}: see https://example.org/{n} and https://example.net/.",
                "author_name": "Reader",
                "author_email": f"reader{n}@example.com",
                "hp": "",
                "form_token": token,
            },
            environ_base={"REMOTE_ADDR": f"10.{(n >> 8) & 255}.{n & 255}.7"},
        )
        if response.status_code != 201:
            raise SystemExit(f"post {n} failed: {response.status_code} {response.get_json()}")
    return time.process_time() - began_cpu, time.perf_counter() - began


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=200, help="posts per configuration per round")
    parser.add_argument("--rounds", type=int, default=7, help="rounds; the median is reported")
    parser.add_argument("--redis", default="", help="also time limits on this Redis URL")
    shm = Path("/dev/shm")  # noqa: S108 - mkdtemp makes a private directory inside
    parser.add_argument("--dir", type=Path, default=shm if shm.is_dir() else None,
                        help="where the throwaway SQLite database goes (default: /dev/shm)")
    args = parser.parse_args(argv)
    logging.disable(logging.INFO)

    workdir = Path(tempfile.mkdtemp(prefix="bench-post-path-", dir=args.dir))
    url = f"sqlite:///{workdir / 'bench.db'}"
    configurations: dict[str, Callable[[], dict[str, Any]]] = {
        "bare (limits off, spam rules off)":
            lambda: overrides(url, limits=False, rules=False, storage="memory://"),
        "limits (memory://)":
            lambda: overrides(url, limits=True, rules=False, storage="memory://"),
        "spam rules":
            lambda: overrides(url, limits=False, rules=True, storage="memory://"),
        "limits (memory://) + spam rules":
            lambda: overrides(url, limits=True, rules=True, storage="memory://"),
    }
    if args.redis:
        configurations["limits (redis) + spam rules"] = (
            lambda: overrides(url, limits=True, rules=True, storage=args.redis)
        )

    setup = create_app(overrides(url, limits=False, rules=False, storage="memory://"),
                       instance_path=workdir / "instance")
    migrate_database(setup)
    with setup.app_context():
        sites.create_site(db.session, SITE, "Benchmark", [], datetime.now(UTC))
        db.session.commit()

    names = list(configurations)
    cpu: dict[str, list[float]] = {name: [] for name in names}
    wall: dict[str, list[float]] = {name: [] for name in names}
    sent = 0
    for round_number in range(args.rounds + 1):  # round 0 warms up and is not counted
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            # One app per run: the limiter is configured by the last app built.
            app = create_app(configurations[name](), instance_path=workdir / "instance")
            cpu_seconds, wall_seconds = run_posts(app, args.posts, sent)
            sent += args.posts
            if round_number:
                cpu[name].append(cpu_seconds / args.posts)
                wall[name].append(wall_seconds / args.posts)
            with app.app_context():
                db.engine.dispose()

    shutil.rmtree(workdir, ignore_errors=True)
    print(f"post path: {args.posts} posts x {args.rounds} rounds, median per post, "
          f"SQLite in {workdir.parent}, Python {sys.version.split()[0]}")
    print()
    print(f"| {'configuration':<34} | {'CPU/post':>9} | {'vs bare':>7} "
          f"| {'wall/post':>9} | {'vs bare':>7} |")
    print(f"|{'-' * 36}|{'-' * 11}|{'-' * 9}|{'-' * 11}|{'-' * 9}|")
    bare_cpu, bare_wall = statistics.median(cpu[names[0]]), statistics.median(wall[names[0]])
    for name in names:
        c, w = statistics.median(cpu[name]), statistics.median(wall[name])
        print(f"| {name:<34} | {c * 1000:>6.3f} ms | {c / bare_cpu:>6.2f}x "
              f"| {w * 1000:>6.3f} ms | {w / bare_wall:>6.2f}x |")


if __name__ == "__main__":
    main()
