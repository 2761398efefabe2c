"""make bench: comments_service side by side with Isso 0.14.0 and a bare Flask ceiling.

    benchmarks/.venv-ours/bin/python -m benchmarks.run [--rounds 3] [--seconds 5]

Seeds the same data for every system, then runs rounds; each round starts the ceiling,
our service (SQLite, then PostgreSQL when COMMENTS_BENCH_POSTGRES_URL is set) and Isso
one after another, each under gunicorn with the same settings, measures them with
bounded loads on loopback, and stops them. Prints one table, writes it as JSON to
benchmarks/results/ and refreshes the generated part of benchmarks/RESULTS.md.

COMMENTS_BENCH_POSTGRES_URL names a database this run may wipe: its public schema is
dropped and rebuilt.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
from contextlib import ExitStack
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import import_speed, live_crowd, load, seed, servers, table, widget
from benchmarks.load import LoadPlan, Request
from comments_service.config import load_settings

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "benchmarks"
ISSO_VENV = BENCH / ".venv-isso"
RESULTS_DIR = BENCH / "results"
RESULTS_MD = BENCH / "RESULTS.md"

Measurements = dict[str, dict[str, dict[str, Any]]]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---- tools --------------------------------------------------------------------


def ensure_debian_package(binary: str, package: str) -> bool:
    """Install a Debian package when its binary is missing and we may (root, apt-get)."""
    if shutil.which(binary) or Path(binary).exists():
        return True
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    log(f"installing {package} from Debian's packages")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "install", "-y", "-q", package],
                    ["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", package]):
        subprocess.run(command, env=env, capture_output=True, timeout=600, check=False)
        if shutil.which(binary) or Path(binary).exists():
            return True
    return False


def machine() -> dict[str, Any]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, check=False).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "."],
                           capture_output=True, text=True, check=False).stdout.strip()
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(int(memory) / 1024**2, 1),
        "kernel": platform.release(), "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version, "load_average_at_start": os.getloadavg(),
        "commit": commit + ("+uncommitted" if dirty else ""),
        "wrk": shutil.which("wrk") is not None,
    }


def postgres_version(url: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar_one()
    engine.dispose()
    return f"PostgreSQL {version}"


# ---- requests -----------------------------------------------------------------


def count_keys(spec: seed.DataSpec, how_many: int) -> list[str]:
    picked = random.Random(7).sample(range(spec.count_articles),
                                     min(how_many, spec.count_articles))
    return [seed.count_article(i) for i in picked]


def our_requests(spec: seed.DataSpec) -> dict[str, Request]:
    site = f"/api/v1/sites/{seed.THREADS_SITE}"
    counts = f"/api/v1/sites/{seed.COUNTS_SITE}/counts?"
    post = {"article": seed.POSTING_ARTICLE, "author_name": "Benchmark",
            "body": "Posted by the benchmark, number %d. *Still* reading https://example.org/a"}
    reply = {**post, "parent_id": seed.root_comment_id(spec, seed.POSTING_ARTICLE)}
    json_headers = {"Content-Type": "application/json"}
    requests = {f"page-{n}": Request(f"{site}/thread?article={seed.thread_article(n)}")
                for n in spec.thread_sizes}
    requests["counts-50"] = Request(counts + "&".join(f"article={k}" for k in count_keys(spec, 50)))
    requests["counts-1"] = Request(counts + f"article={count_keys(spec, 1)[0]}")
    requests["post-comment"] = Request(f"{site}/comments", "POST", json_headers, json.dumps(post))
    requests["post-reply"] = Request(f"{site}/comments", "POST", json_headers, json.dumps(reply))
    return requests


def isso_requests(spec: seed.DataSpec, page_size: int, replies: int) -> dict[str, Request]:
    json_headers = {"Content-Type": "application/json"}
    post = {"text": "Posted by the benchmark, number %d. *Still* reading https://example.org/a",
            "author": "Benchmark", "title": "Benchmark article"}
    reply = {**post, "parent": seed.root_comment_id(spec, seed.POSTING_ARTICLE)}
    requests = {}
    for n in spec.thread_sizes:
        uri = seed.thread_article(n)
        requests[f"page-{n}"] = Request(f"/?uri={uri}&limit={page_size}&nested_limit={replies}")
        requests[f"whole-{n}"] = Request(f"/?uri={uri}")
    requests["counts-50"] = Request("/count", "POST", json_headers,
                                    json.dumps(count_keys(spec, 50)))
    requests["counts-1"] = Request("/count", "POST", json_headers,
                                   json.dumps(count_keys(spec, 1)))
    requests["post-comment"] = Request(f"/new?uri={seed.POSTING_ARTICLE}", "POST", json_headers,
                                       json.dumps(post))
    requests["post-reply"] = Request(f"/new?uri={seed.POSTING_ARTICLE}", "POST", json_headers,
                                     json.dumps(reply))
    return requests


# ---- one round ----------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.spec = seed.TINY if args.tiny else seed.DataSpec()
        self.plan = LoadPlan(seconds=args.seconds, warmup_s=args.warmup,
                             single_budget_s=args.single_budget,
                             timeout_s=args.timeout, use_wrk=shutil.which("wrk") is not None)
        self.venv = Path(sys.prefix)
        self.isso_venv = Path(args.isso_venv)
        self.postgres_url = args.postgres_url
        settings = load_settings()
        self.page_size = settings.threads.page_size
        self.replies = settings.threads.replies_per_comment
        self.ours = our_requests(self.spec)
        self.isso = isso_requests(self.spec, self.page_size, self.replies)
        self.timed_out: dict[str, str] = {}
        self.browser: widget.Browser | None = None
        self.pages: widget.PageServer | None = None

    # -- data

    def seed_all(self) -> dict[str, Any]:
        isso_python = self.isso_venv / "bin" / "python"
        config = servers.write_isso_config(self.work / "isso-schema.cfg",
                                           self.work / "unused.db", 0, "http://127.0.0.1")
        groups: list[list[seed.Sink]] = [
            [seed.OurSqliteSink(self.work / "ours.db")],
            [seed.IssoSink(self.work / "isso-threads.db", seed.SITES[0].id, isso_python, config),
             seed.IssoSink(self.work / "isso-counts.db", seed.SITES[1].id, isso_python, config)],
        ]
        if self.postgres_url:
            groups.append([seed.OurSqlAlchemySink(self.postgres_url, self.work / "instance-pg")])
        report = seed.seed_in_parallel(self.spec, groups)
        log(f"seeded {report.comments:,} comments in {report.threads:,} threads "
            f"into {sum(map(len, groups))} databases ({len(groups)} processes at once) "
            f"in {report.seconds:.1f} s ({report.cpu_seconds:.0f} s of CPU)")
        return asdict(report)

    def backends(self) -> list[tuple[str, str]]:
        found = [("sqlite", f"sqlite:///{self.work / 'ours.db'}")]
        if self.postgres_url:
            found.append(("postgresql", self.postgres_url))
        return found

    # -- measuring

    def _measure(self, out: dict[str, Any], key: str, server: servers.Server,
                 request: Request) -> None:
        try:
            result = load.measure(server.base_url, request, self.plan,
                                  server.connections_by_worker)
        except Exception as exc:  # noqa: BLE001 - one failed row must not sink the run
            log(f"  {server.name} {key}: FAILED {exc}")
            out[key] = {"mode": "failed", "note": f"failed: {exc}"[:200]}
            return
        out[key] = result.as_dict()
        if result.errors:
            out[key]["note"] = (out[key]["note"] + f"; {result.errors} errors").lstrip("; ")
        log(f"  {server.name} {key}: {result.rps:,.1f}/s p50 {result.p50_ms:.2f} ms "
            f"p99 {result.p99_ms:.2f} ms [{result.mode}] {result.note}")

    def _sequential(self, out: dict[str, Any], key: str, server: servers.Server,
                    request: Request, count: int, budget_s: float) -> None:
        result = load.sequential(server.base_url, request, self.plan, count, budget_s)
        out[key] = result.as_dict()
        log(f"  {server.name} {key}: {result.requests} one at a time, p50 "
            f"{result.p50_ms:.2f} ms p99 {result.p99_ms:.2f} ms {result.note}")

    def _widget(self, out: dict[str, Any], server: servers.Server, assets: list[bytes] | None,
                page: str, other_language_page: str | None = None) -> None:
        if assets is None:
            out["widget"] = {"note": widget.NOT_BUILT}
            log(f"  {server.name} widget: {widget.NOT_BUILT}")
            return
        entry: dict[str, Any] = {"gzip_bytes": widget.gzipped_size(*assets)}
        if self.browser is not None and self.pages is not None:
            entry["first_comment_ms"] = self.browser.first_comment_ms(
                self.pages.origin + page, self.args.widget_loads)
            if other_language_page:  # issue 20: the same page in German, with its catalogue
                entry["first_comment_other_language_ms"] = self.browser.first_comment_ms(
                    self.pages.origin + other_language_page, self.args.widget_loads)
        else:
            entry["note"] = "no Chromium: time not measured"
        out["widget"] = entry
        log(f"  {server.name} widget: {entry}")

    def ceiling(self, measured: Measurements) -> None:
        out = measured.setdefault("ceiling", {})
        server = servers.ceiling_server(self.venv, REPO, servers.free_port(),
                                        self.work / "ceiling.log")
        with servers.running(server):
            self._measure(out, "hello", server, Request("/"))
            out["rss"] = {"mib": _median(server.worker_rss_mib())}

    def ours_round(self, measured: Measurements, backend: str, url: str, first: bool) -> None:
        out = measured.setdefault(f"ours-{backend}", {})
        server = servers.our_server(self.venv, REPO, servers.free_port(), url, self.work,
                                    self.work / f"ours-{backend}.log")
        with servers.running(server):
            for n in self.spec.thread_sizes:
                self._measure(out, f"page-{n}", server, self.ours[f"page-{n}"])
                self._sequential(out, f"seq-{n}", server, self.ours[f"page-{n}"], 100, 3)
            self._compressed(out, server, first)
            for n in self.spec.thread_sizes:
                page = self.ours[f"page-{n}"]
                page_url = server.base_url + page.path  # loopback http, built here
                with urllib.request.urlopen(page_url, timeout=30) as resp:  # noqa: S310
                    etag = resp.headers["ETag"]
                self._measure(out, f"revalidate-{n}", server,
                              replace(page, headers={"If-None-Match": etag}))
            self._measure(out, "counts-50", server, self.ours["counts-50"])
            self._measure(out, "counts-1", server, self.ours["counts-1"])
            out["rss"] = {"mib": _median(server.worker_rss_mib())}
            if first:
                assets = widget.our_assets(server.base_url)
                if self.pages is not None:
                    self.pages.pages["/ours.html"] = widget.our_page(server.base_url)
                    self.pages.pages["/ours-other.html"] = widget.our_page(
                        server.base_url, widget.OTHER_LANGUAGE)
                self._widget(out, server, assets, "/ours.html", "/ours-other.html")
            self._measure(out, "post-comment", server, self.ours["post-comment"])
            self._measure(out, "post-reply", server, self.ours["post-reply"])
        self.built_round(out, backend, url)

    def _compressed(self, out: dict[str, Any], server: servers.Server, first: bool) -> None:
        """The middle page under load for clients accepting gzip or Brotli; bytes on the wire."""
        sizes = self.spec.thread_sizes
        middle = self.ours[f"page-{sizes[len(sizes) // 2]}"]
        for encoding in ("gzip", "br"):
            self._measure(out, f"page-middle-{encoding}", server,
                          replace(middle, headers={"Accept-Encoding": encoding}))
        if first:
            for name, paths in (("widget", ["/embed.js", "/embed.css"]), ("page", [middle.path])):
                sizes_sent = load.wire_bytes(server.base_url, paths, self.plan.timeout_s)
                for encoding, sent in sizes_sent.items():
                    out[f"wire-{name}-{encoding}"] = {"bytes": sent}
                log(f"  {server.name} bytes on the wire, {name}: {sizes_sent}")

    def built_round(self, out: dict[str, Any], backend: str, url: str) -> None:
        """The same service with its page cache off: what building a page costs.

        As production runs it, a page read twice at the same version of its thread
        is built once per process (services/page_cache.py), so the rows above measure
        mostly pages built already. These build every page for every request.
        """
        sizes = self.spec.thread_sizes
        middle = sizes[len(sizes) // 2]
        server = servers.our_server(
            self.venv, REPO, servers.free_port(), url, self.work,
            self.work / f"ours-{backend}-built.log", name="ours, page cache off",
            extra_env={"COMMENTS_THREADS_PAGE_CACHE_BYTES": "0"})
        with servers.running(server):
            for n in sizes:
                self._sequential(out, f"built-seq-{n}", server, self.ours[f"page-{n}"], 100, 3)
            self._measure(out, f"built-page-{middle}", server, self.ours[f"page-{middle}"])

    def isso_round(self, measured: Measurements) -> None:
        out = measured.setdefault("isso", {})
        origin = self.pages.origin if self.pages else "http://127.0.0.1"
        port = servers.free_port()
        config = servers.write_isso_config(self.work / "isso-threads.cfg",
                                           self.work / "isso-threads.db", port, origin)
        server = servers.isso_server(self.isso_venv, port, config, self.work / "isso.log")
        with servers.running(server):
            for n in self.spec.thread_sizes:
                self._measure(out, f"page-{n}", server, self.isso[f"page-{n}"])
                if out[f"page-{n}"].get("mode") == "single":  # already one at a time
                    out[f"seq-{n}"] = {**out[f"page-{n}"], "mode": "sequential", "note": ""}
                else:
                    self._sequential(out, f"seq-{n}", server, self.isso[f"page-{n}"], 5,
                                     self.plan.single_budget_s)
            out["rss"] = {"mib": _median(server.worker_rss_mib())}
            if self.pages is not None:
                self.pages.pages["/isso.html"] = widget.isso_page(server.base_url)
            self._widget(out, server, widget.isso_assets(server.base_url), "/isso.html")
            self._measure(out, "post-comment", server, self.isso["post-comment"])
            self._measure(out, "post-reply", server, self.isso["post-reply"])
            # Whole threads last: a request that runs past its timeout keeps a worker
            # busy until the server is stopped, right after.
            for n in self.spec.thread_sizes:
                key = f"whole-{n}"
                if key in self.timed_out:
                    out[key] = {"mode": "not tried", "note": self.timed_out[key]}
                    continue
                self._measure(out, key, server, self.isso[key])
                note = out[key].get("note", "")
                if "did not finish" in note:
                    self.timed_out[key] = f"{note} (an earlier round); not tried again"
        port = servers.free_port()
        config = servers.write_isso_config(self.work / "isso-counts.cfg",
                                           self.work / "isso-counts.db", port, origin)
        server = servers.isso_server(self.isso_venv, port, config, self.work / "isso.log")
        with servers.running(server):
            self._measure(out, "counts-50", server, self.isso["counts-50"])
            self._measure(out, "counts-1", server, self.isso["counts-1"])

    def imports(self, measured: Measurements) -> None:
        """Issue 17's rows, once per run (after the rounds: on PostgreSQL the import
        wipes the database it is given)."""
        comments = 2_000 if self.args.tiny else import_speed.COMMENTS
        measured["budget"] = import_speed.budget()
        for backend, url in self.backends():
            log(f"imports: {comments:,} WordPress comments into {backend}")
            folder = self.work / f"imports-{backend}"
            folder.mkdir(exist_ok=True)
            try:
                result = import_speed.measure(
                    folder, None if backend == "sqlite" else url, comments)
            except Exception as exc:  # noqa: BLE001 - one failed row must not sink the run
                log(f"  imports on {backend}: FAILED {exc}")
                continue
            out = measured.setdefault(f"ours-{backend}", {})
            out["import-wordpress"] = result["import"]
            out["reimport-wordpress"] = result["reimport"]
            for key, entry in result.items():
                log(f"  {key}: {entry['seconds']:.1f} s ({entry['note']})")

    def live(self, measured: Measurements) -> None:
        """Issue 19's rows, once per run: a crowd of readers against `serve` as `make run`
        starts it (and two instances on PostgreSQL + Redis when both URLs are known)."""
        folder = self.work / "live"
        folder.mkdir(exist_ok=True)
        try:
            found = live_crowd.measure(
                self.venv, REPO, folder, self.args.live_readers,
                self.args.postgres_url, live_crowd.default_redis_url(), log=log)
        except Exception as exc:  # noqa: BLE001 - one failed row must not sink the run
            log(f"  live: FAILED {exc}")
            return
        for system, figures in found.items():
            measured.setdefault(system, {}).update(figures)

    def round(self, number: int) -> Measurements:
        measured: Measurements = {}
        log(f"round {number}: ceiling")
        self.ceiling(measured)
        for index, (backend, url) in enumerate(self.backends()):
            log(f"round {number}: comments_service on {backend}")
            self.ours_round(measured, backend, url, first=index == 0)
        log(f"round {number}: Isso 0.14.0")
        self.isso_round(measured)
        return measured


def _median(values: list[float]) -> float | None:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else None


# ---- output -------------------------------------------------------------------


def describe(payload: dict[str, Any]) -> str:
    m = payload["machine"]
    settings = payload["settings"]
    seeded = payload["seed"]
    lines = [
        f"Run of {payload['generated_at']} (commit {m['commit']}), "
        f"{payload['elapsed_s'] / 60:.1f} minutes from seeding to table.",
        "",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux "
        f"{m['kernel']}; load average at start "
        f"{', '.join(f'{x:.2f}' for x in m['load_average_at_start'])}"
        " (the machine is shared: absolute numbers are noisy, ratios within a round count).",
        f"- Software: Python {m['python']}, SQLite {m['sqlite']}"
        + (f", {m['postgresql']}" if m.get("postgresql") else "") + ".",
        f"- Servers: {settings['gunicorn']}. Ours as in production (JSON logs, Prometheus "
        "metrics in multiprocess mode, rate limits on with their default strategy and "
        "storage, the limits raised so the one benchmark client is never refused). Isso "
        "0.14.0 from PyPI with its guard off, its config written at run time.",
        f"- Load: {settings['load']}.",
        f"- Data: {settings['data']}; seeded in {seeded['seconds']:.0f} s "
        f"({seeded['cpu_seconds']:.0f} s of CPU in the seeding processes; "
        f"{seeded['comments']:,} comments, {seeded['threads']:,} threads, every database).",
        f"- Rounds: {settings['rounds']}; each round runs the ceiling, ours, then Isso, back "
        "to back. Figures are medians over rounds with (min-max); ratios are computed "
        "within each round, then the median and spread are shown.",
    ]
    return "\n".join(lines)


def imports_only(args: argparse.Namespace) -> int:
    """Just the import rows: measure, print the table and the targets; write nothing."""
    work = Path(tempfile.mkdtemp(prefix="comments-bench-imports-"))
    try:
        bench = Bench(args, work)
        measured: Measurements = {}
        bench.imports(measured)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    comments = 2_000 if args.tiny else import_speed.COMMENTS
    backends = [name for name, _ in bench.backends()]
    rows = table.build_rows([measured], table.import_row_specs(backends, comments))
    print()
    print(table.render_text(rows))
    print()
    print("Targets:")
    for line in table.targets_summary(rows):
        print("  " + line)
    return 0


def live_only(args: argparse.Namespace) -> int:
    """Just the live rows (issue 19): measure, print the rows and the targets; write nothing."""
    work = Path(tempfile.mkdtemp(prefix="comments-bench-live-"))
    try:
        measured: Measurements = {}
        Bench(args, work).live(measured)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = table.build_rows([measured], table.live_row_specs(args.live_readers))
    print()
    print(table.render_text(rows))
    print()
    print("Targets:")
    for line in table.targets_summary(rows):
        print("  " + line)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4, help="each load run (at most 10)")
    parser.add_argument("--warmup", type=float, default=1, help="warm-up before each run")
    parser.add_argument("--timeout", type=float, default=30, help="one request's time bound")
    parser.add_argument("--single-budget", type=float, default=15,
                        help="time for a series of single requests")
    parser.add_argument("--widget-loads", type=int, default=3)
    parser.add_argument("--threads", type=int, default=servers.THREADS,
                        help="gunicorn threads per worker, the same for every server")
    parser.add_argument("--tiny", action="store_true", help="tiny data: a smoke test")
    parser.add_argument("--postgres-url", default=os.environ.get("COMMENTS_BENCH_POSTGRES_URL"))
    parser.add_argument("--isso-venv", default=str(ISSO_VENV))
    parser.add_argument("--results-dir", default=str(RESULTS_DIR))
    parser.add_argument("--results-md", default=str(RESULTS_MD))
    parser.add_argument("--keep-data", action="store_true", help="keep the databases")
    parser.add_argument("--live-only", action="store_true",
                        help="only the live-update rows (issue 19): a crowd of readers")
    parser.add_argument("--live-readers", type=int, default=live_crowd.READERS,
                        help="readers in the live crowd")
    parser.add_argument("--imports-only", action="store_true",
                        help="only the import rows (issue 17): a quick smoke, no servers")
    args = parser.parse_args(argv)
    args.seconds = min(args.seconds, 10)
    servers.THREADS = args.threads
    started = time.perf_counter()

    if args.imports_only:
        return imports_only(args)
    if args.live_only:
        return live_only(args)
    if not ensure_debian_package("wrk", "wrk"):
        log("wrk not to be had: using the Python load generator")
    if not ensure_debian_package(str(widget.CHROMIUM), "chromium"):
        log("Chromium not to be had: widget timings are skipped")
    if not (Path(args.isso_venv) / "bin" / "gunicorn").exists():
        log(f"no Isso virtualenv at {args.isso_venv}: run `make bench`")
        return 2

    work = Path(tempfile.mkdtemp(prefix="comments-bench-"))
    bench = Bench(args, work)
    payload: dict[str, Any] = {"generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                               "machine": machine()}
    if args.postgres_url:
        payload["machine"]["postgresql"] = postgres_version(args.postgres_url)
    payload["settings"] = {
        "gunicorn": servers.gunicorn_settings(),
        "load": (f"{'wrk 4.1 (1 thread)' if bench.plan.use_wrk else 'Python load generator'}, "
                 f"{load.CONNECTIONS} keep-alive connections, {bench.plan.warmup_s:g} s "
                 f"warm-up then {bench.plan.seconds:g} s per run; a request slower than "
                 f"{bench.plan.slow_request_s:g} s alone is timed as up to "
                 f"{bench.plan.single_count} single requests (bound "
                 f"{bench.plan.timeout_s:g} s each)"),
        "data": (f"threads of {', '.join(f'{n:,}' for n in bench.spec.thread_sizes)} comments "
                 f"(a third replies, depth cap {bench.spec.max_depth}), a "
                 f"{bench.spec.widget_comments}-comment thread for the widget, "
                 f"{bench.spec.count_articles:,} articles with {bench.spec.count_comments:,} "
                 "comments for counts; page size "
                 f"{bench.page_size} top-level comments with {bench.replies} replies each"),
        "rounds": args.rounds,
    }
    rounds: list[Measurements] = []
    try:
        with ExitStack() as stack:
            log(f"work directory {work}")
            payload["seed"] = bench.seed_all()
            bench.pages = stack.enter_context(widget.PageServer())
            bench.browser = stack.enter_context(widget.browser())
            for number in range(1, args.rounds + 1):
                rounds.append(bench.round(number))
            bench.imports(rounds[0])
            bench.live(rounds[0])
    except Exception:  # noqa: BLE001 - report, show the servers' logs, clean up
        traceback.print_exc()
        for log_file in sorted(work.glob("*.log")):
            print(f"--- last lines of {log_file.name}:\n"
                  + "\n".join(log_file.read_text(errors="replace").splitlines()[-15:]))
        return 1
    finally:
        if not args.keep_data:
            shutil.rmtree(work, ignore_errors=True)

    payload["elapsed_s"] = time.perf_counter() - started
    backends = [name for name, _ in bench.backends()]
    rows = table.build_rows(rounds, table.row_specs(
        bench.spec.thread_sizes, backends, 2_000 if args.tiny else import_speed.COMMENTS)
        + table.live_row_specs(args.live_readers))
    payload["rounds_raw"] = rounds
    payload["rows"] = [row.as_dict() for row in rows]
    text = table.render_text(rows)
    print()
    print(describe(payload))
    print()
    print(text)
    print()
    print("Targets:")
    for line in table.targets_summary(rows):
        print("  " + line)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    results_dir = Path(args.results_dir)
    table.write_json(results_dir / f"bench-{stamp}.json", payload)
    table.write_json(results_dir / "latest.json", payload)
    if not args.tiny:
        generated = "\n".join([
            "## Latest run", "", describe(payload), "", table.render_markdown(rows), "",
            "Targets:", "", *(f"- {line}" for line in table.targets_summary(rows)),
        ])
        table.refresh_results_md(Path(args.results_md), generated)
    log(f"done in {payload['elapsed_s'] / 60:.1f} min; JSON in {results_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
