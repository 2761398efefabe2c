"""The benchmark's table (ratios within a round, medians, targets) and its load generators."""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from benchmarks import load, servers, table


def _round(ours_rps: float, isso_rps: float, ceiling_rps: float) -> dict:
    return {
        "ours-sqlite": {"page-10": {"rps": ours_rps, "p50_ms": 2.0, "p99_ms": 5.0},
                        "page-100": {"rps": ours_rps, "p50_ms": 2.4, "p99_ms": 6.0},
                        "built-seq-10": {"p50_ms": 4.0}, "built-seq-100": {"p50_ms": 6.0},
                        "built-page-100": {"rps": ours_rps / 4},
                        "rss": {"mib": 50}, "widget": {"note": "widget not built yet"}},
        "isso": {"page-10": {"rps": isso_rps, "p50_ms": 100, "p99_ms": 200},
                 "page-100": {"rps": isso_rps / 2, "p50_ms": 900, "p99_ms": 1500,
                              "mode": "single"},
                 "rss": {"mib": 40}, "widget": {"gzip_bytes": 20000}},
        "ceiling": {"hello": {"rps": ceiling_rps}, "rss": {"mib": 30}},
    }


def _row(rows: list[table.Row], label: str) -> table.Row:
    return next(row for row in rows if row.label == label)


def test_ratios_are_taken_within_each_round_then_the_median() -> None:
    rounds = [_round(1000, 10, 2000), _round(600, 20, 1000), _round(900, 10, 3000)]
    rows = table.build_rows(rounds, table.row_specs([10, 100], ["sqlite"]))
    page = _row(rows, "thread page, 100 comments: req/s")
    assert page.ratios == [200, 60, 180]
    assert page.ratio == 180
    assert page.met is True  # the middle size carries the >=25x target
    ceiling = _row(rows, "thread page, 100 comments, not revalidated (page cache on): req/s")
    assert ceiling.ratios == [0.5, 0.6, 0.3]
    assert ceiling.met is True
    built = _row(rows, "thread page, 100 comments, built for every request (page cache off): "
                       "req/s")
    assert built.ratios == [0.125, 0.15, 0.075]
    assert built.target is None
    grows = _row(rows, "thread page, 100 vs 10 comments, built for every request: p50 one "
                       "request at a time")
    assert grows.ratio == pytest.approx(1.5)
    flat = _row(rows, "thread page, 100 vs 10 comments: p50 under load")
    assert flat.ratio == pytest.approx(1.2)
    memory = _row(rows, "resident memory per worker, after reads (vs Isso)")
    assert memory.met is False
    p99 = _row(rows, "thread page, 100 comments: p99 under load")
    assert "Isso, paged: single requests" in p99.notes


def test_rows_without_figures_are_left_out_and_skips_say_why() -> None:
    rows = table.build_rows([_round(1, 1, 1)], table.row_specs([10, 100], ["sqlite"]))
    labels = {row.label for row in rows}
    assert "counts, 50 articles: req/s" not in labels
    widget = _row(rows, "embed.js + CSS, gzipped")
    assert widget.ours == [None]
    assert widget.met is None
    assert "ours: widget not built yet" in widget.notes


def test_text_markdown_and_results_md(tmp_path: Path) -> None:
    rows = table.build_rows([_round(1000, 10, 2000), _round(900, 12, 2100)],
                            table.row_specs([10, 100], ["sqlite"]))
    text = table.render_text(rows)
    assert "thread page, 100 comments: req/s" in text
    assert "950 (900-1,000) req/s" in text
    assert "≥25x Isso: met" in text
    markdown = table.render_markdown(rows)
    assert markdown.count("| row |") == len({row.section for row in rows})
    results = tmp_path / "RESULTS.md"
    results.write_text("# Results\n\nWritten by hand.\n")
    table.refresh_results_md(results, "first")
    table.refresh_results_md(results, "second")
    kept = results.read_text()
    assert "Written by hand." in kept
    assert "second" in kept
    assert "first" not in kept
    table.write_json(tmp_path / "results" / "latest.json", {"rows": [r.as_dict() for r in rows]})
    assert json.loads((tmp_path / "results" / "latest.json").read_text())["rows"]


def test_wrk_output_is_parsed() -> None:
    output = ("Running 5s test\nWRKJSON {\"requests\":500,\"duration_us\":5000000,"
              "\"p50_us\":1500,\"p99_us\":9000,\"errors\":2}\n")
    result = load.parse_wrk(output)
    assert (result.rps, result.p50_ms, result.p99_ms, result.errors) == (100, 1.5, 9.0, 2)
    script = load.wrk_script(load.Request("/p?a=1", "POST", {"X": "y"}, '{"n": %d}'))
    assert 'local path = "/p?a=1"' in script
    assert '["X"] = "y"' in script


class _Quiet(WSGIRequestHandler):
    def log_message(self, *_args: object) -> None:
        return


class _Threaded(WSGIServer):
    daemon_threads = True


@pytest.fixture
def tiny_server() -> Iterator[tuple[str, list[bytes]]]:
    bodies: list[bytes] = []

    def app(environ: dict, start_response: object) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length:
            bodies.append(environ["wsgi.input"].read(length))
        status = "404 Not Found" if environ["PATH_INFO"] == "/missing" else "200 OK"
        start_response(status, [("Content-Type", "application/json"),  # type: ignore[operator]
                                ("Content-Length", "2")])
        return [b"{}"]

    server = make_server("127.0.0.1", 0, app, server_class=_Threaded, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", bodies
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_python_load_generator_is_bounded_and_counts(tiny_server) -> None:
    url, bodies = tiny_server
    result = load.run_python(url, load.Request("/", "POST", {}, '{"n": %d}'), 0.3, 5,
                             connections=2)
    assert result.requests > 0
    assert result.errors == 0
    assert result.seconds < 2
    assert len(set(bodies)) == len(bodies)  # every post carried its own number
    missing = load.run_python(url, load.Request("/missing"), 0.2, 5, connections=1)
    assert missing.errors == missing.requests > 0


def test_single_requests_and_measure_choose_by_speed(tiny_server) -> None:
    url, _ = tiny_server
    plan = load.LoadPlan(seconds=0.2, warmup_s=0.1, use_wrk=False, slow_request_s=0.0)
    result = load.measure(url, load.Request("/"), plan)
    assert result.mode == "single"
    assert result.requests == plan.single_count
    with pytest.raises(RuntimeError):
        load.measure(url, load.Request("/missing"), plan)


def test_a_load_run_the_workers_did_not_share_says_so() -> None:
    """8 connections over 2 workers: 8/0 or 7/1 measures mostly one worker."""
    assert [load.is_balanced(seen) for seen in ([4, 4], [6, 2], [], [7, 1], [8, 0])] == [
        True, True, True, False, False]
    result = load.Result(100, 1.0, 1.0, 2.0, 0, "wrk")
    assert load.with_balance_note(result, [4, 4]).note == ""
    assert load.with_balance_note(result, None).note == ""
    assert load.with_balance_note(result, [8, 0]).note == "connections per worker 8/0"


def test_every_server_caps_each_worker_near_its_share_of_the_connections() -> None:
    """Each worker takes at most its share and keeps every one alive (gthread keeps
    the cap less its threads), so no worker can take all of the load's connections."""
    argv = servers.gunicorn_argv(Path("gunicorn"), "app:app", 8000)
    cap = int(argv[argv.index("--worker-connections") + 1])
    assert cap - servers.THREADS == load.CONNECTIONS // servers.WORKERS
    assert cap < load.CONNECTIONS


def test_connections_are_counted_per_process_from_proc() -> None:
    """The accepted end of a loopback connection is found among this process's sockets."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)), listener.accept()[0]:
            established = servers.established_inodes(port)
            mine = set(servers.socket_inodes(os.getpid()))
            assert len(established) == 1
            assert established <= mine


def test_bytes_on_the_wire_rows_compare_each_encoding_with_the_plain_body() -> None:
    round_ = _round(1000, 10, 2000)
    round_["ours-sqlite"].update({
        "wire-widget-identity": {"bytes": 60_000}, "wire-widget-gzip": {"bytes": 18_000},
        "wire-widget-br": {"bytes": 15_000}, "wire-page-identity": {"bytes": 40_000},
        "wire-page-gzip": {"bytes": 8_000}, "wire-page-br": {"bytes": 6_000},
        "page-middle-br": {"rps": 950}, "page-middle-gzip": {"rps": 800},
    })
    rows = table.build_rows([round_], table.row_specs([10, 100], ["sqlite"]))
    assert _row(rows, "embed.js + CSS, Brotli").ratio == 0.25
    assert _row(rows, "thread page, 100 comments, gzip").ratio == 0.2
    assert _row(rows, "thread page, 100 comments, uncompressed").ours == [40_000]
    assert _row(rows, "thread page, 100 comments, Brotli accepted: req/s").met is True
    assert _row(rows, "thread page, 100 comments, gzip accepted: req/s").met is False


def test_wire_bytes_counts_what_each_encoding_sends(tiny_server) -> None:
    url, _ = tiny_server
    assert load.wire_bytes(url, ["/", "/"], 5) == {"identity": 4, "gzip": 4, "br": 4}
    with pytest.raises(RuntimeError):
        load.wire_bytes(url, ["/missing"], 5)
