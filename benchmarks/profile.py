"""Profile one kind of request in-process, configured as the benchmark runs the service.

    benchmarks/.venv-ours/bin/python -m benchmarks.profile DB_URL PATH [--etag] [-n 500]

Sends the request `n` times through the WSGI app (no sockets, no gunicorn), prints
the CPU time per request and a pyinstrument call tree. CPU time, not wall time: on a
shared machine it is the steadier number.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from benchmarks.servers import OUR_BENCH_LIMITS


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    parser.add_argument("path")
    parser.add_argument("--etag", action="store_true", help="revalidate with the page's ETag")
    parser.add_argument("-n", type=int, default=500)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body", default=None, help="JSON body; %%d is a counter")
    parser.add_argument("--no-tree", action="store_true")
    args = parser.parse_args()

    os.environ.update(OUR_BENCH_LIMITS)
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="prom-"))
    os.environ.update({
        "COMMENTS_DATABASE_URL": args.database_url,
        "COMMENTS_SECURITY_SECRET_KEY": "benchmark-secret-key-not-for-production",
        "COMMENTS_SERVER_ENVIRONMENT": "production",
        "COMMENTS_SERVER_PUBLIC_URL": "http://127.0.0.1:8080",
        "COMMENTS_DEMO_ENABLED": "false",
    })
    from pyinstrument import Profiler

    from comments_service import create_app

    client = create_app().test_client()
    headers = {}
    if args.etag:
        headers["If-None-Match"] = client.get(args.path).headers["ETag"]

    def send(number: int) -> None:
        body = args.body % number if args.body and "%d" in args.body else args.body
        response = client.open(args.path, method=args.method, headers=headers, data=body,
                               content_type="application/json" if body else None)
        if response.status_code >= 400:
            raise SystemExit(f"{response.status_code}: {response.get_data(as_text=True)}")

    for number in range(50):
        send(number)
    started = time.process_time()
    for number in range(args.n):
        send(1000 + number)
    cpu = (time.process_time() - started) / args.n
    print(f"{cpu * 1e6:,.0f} µs CPU per request ({args.n} requests)")
    if not args.no_tree:
        profiler = Profiler(interval=0.0002)
        with profiler:
            for number in range(args.n):
                send(100_000 + number)
        print(profiler.output_text(
            unicode=False, color=False, time="percent_of_total",
            show_all=os.environ.get("PROFILE_ALL") == "1",
            flat=os.environ.get("PROFILE_FLAT") == "1",
        ))


if __name__ == "__main__":
    main()
