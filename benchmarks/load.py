"""Bounded loads on loopback: wrk when it is installed, else a small Python load generator.

Every run lasts a fixed time (a warm-up first, not counted) and reports requests per
second, p50 and p99 latency, and how many answers were errors (a status outside
2xx/3xx, or a socket error). A request may carry a unique counter in its body
(``%d`` in ``body``), so each post is a new comment.

When one request alone takes too long for a load run to mean anything, ``single``
times a few requests one after another with a long timeout instead.
"""

from __future__ import annotations

import http.client
import json
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

CONNECTIONS = 8


@dataclass(frozen=True)
class Request:
    """One kind of request, as every load generator sends it."""

    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None  # may hold one %d, replaced by a per-request counter

    def body_for(self, counter: int) -> bytes | None:
        if self.body is None:
            return None
        return (self.body % counter if "%d" in self.body else self.body).encode()


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    mode: str  # "wrk", "python" or "single"
    note: str = ""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, object]:
        if not self.requests:  # nothing finished: no figures, only the note
            return {"requests": 0, "rps": None, "p50_ms": None, "p99_ms": None,
                    "errors": self.errors, "mode": self.mode, "note": self.note}
        return {"requests": self.requests, "seconds": round(self.seconds, 3),
                "rps": round(self.rps, 1), "p50_ms": round(self.p50_ms, 3),
                "p99_ms": round(self.p99_ms, 3), "errors": self.errors, "mode": self.mode,
                "note": self.note}


# ---- wrk ----------------------------------------------------------------------

_WRK_SCRIPT = """
local method = %(method)s
local path = %(path)s
local body = %(body)s
local headers = %(headers)s
local counter = 0
request = function()
  counter = counter + 1
  local b = nil
  if body ~= nil then
    if string.find(body, "%%%%d") then b = string.format(body, counter) else b = body end
  end
  return wrk.format(method, path, headers, b)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%%d,"duration_us":%%d,"p50_us":%%d,"p99_us":%%d,' ..
    '"errors":%%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def _lua_string(value: str | None) -> str:
    if value is None:
        return "nil"
    return json.dumps(value)  # a JSON string is a valid Lua string literal here


def wrk_script(request: Request) -> str:
    headers = ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}"
                        for k, v in request.headers.items())
    return _WRK_SCRIPT % {
        "method": _lua_string(request.method), "path": _lua_string(request.path),
        "body": _lua_string(request.body), "headers": "{" + headers + "}",
    }


def parse_wrk(output: str) -> Result:
    for line in output.splitlines():
        if line.startswith("WRKJSON "):
            data = json.loads(line[len("WRKJSON "):])
            return Result(
                requests=data["requests"], seconds=data["duration_us"] / 1e6,
                p50_ms=data["p50_us"] / 1000, p99_ms=data["p99_us"] / 1000,
                errors=data["errors"], mode="wrk",
            )
    raise ValueError(f"wrk printed no result:\n{output}")


def run_wrk(base_url: str, request: Request, seconds: float, timeout_s: float,
            watch: Callable[[], list[int]] | None = None) -> tuple[Result, list[int] | None]:
    """One wrk run; ``watch`` is called a second into it (the connections per worker)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(wrk_script(request))
    try:
        with subprocess.Popen(
            ["wrk", "--threads", "1", "--connections", str(CONNECTIONS),
             "--duration", f"{max(1, round(seconds))}s", "--timeout", f"{int(timeout_s)}s",
             "--script", script.name, base_url],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        ) as process:
            seen = None
            if watch is not None:
                time.sleep(min(1.0, seconds / 2))
                seen = watch()
            stdout, stderr = process.communicate(timeout=seconds + timeout_s + 30)
            if process.returncode:
                raise subprocess.CalledProcessError(process.returncode, "wrk", stdout, stderr)
    finally:
        Path(script.name).unlink(missing_ok=True)
    return parse_wrk(stdout), seen


# ---- the Python load generator ------------------------------------------------


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def run_python(base_url: str, request: Request, seconds: float, timeout_s: float,
               connections: int = CONNECTIONS) -> Result:
    """Keep-alive connections in threads, each sending requests back to back until time."""
    parts = urlsplit(base_url)
    latencies: list[float] = []
    errors = [0]
    counter = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout_s)
        mine: list[float] = []
        while time.perf_counter() < deadline:
            with lock:
                counter[0] += 1
                number = counter[0]
            started = time.perf_counter()
            try:
                conn.request(request.method, request.path, body=request.body_for(number),
                             headers=request.headers)
                response = conn.getresponse()
                response.read()
                ok = response.status < 400
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port,
                                                  timeout=timeout_s)
            mine.append(time.perf_counter() - started)
            if not ok:
                with lock:
                    errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return Result(len(ordered), elapsed, _percentile(ordered, 0.5) * 1000,
                  _percentile(ordered, 0.99) * 1000, errors[0], "python")


# ---- single requests ----------------------------------------------------------


def one_request(base_url: str, request: Request, timeout_s: float, counter: int = 1
                ) -> tuple[float, int, bytes]:
    """(seconds, status, body) of one request on a new connection."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout_s)
    try:
        started = time.perf_counter()
        conn.request(request.method, request.path, body=request.body_for(counter),
                     headers=request.headers)
        response = conn.getresponse()
        body = response.read()
        return time.perf_counter() - started, response.status, body
    finally:
        conn.close()


#: What a client may accept, from nothing (Accept-Encoding: identity) to Brotli.
WIRE_ENCODINGS = ("identity", "gzip", "br")


def wire_bytes(base_url: str, paths: list[str], timeout_s: float) -> dict[str, int]:
    """Bytes of the bodies of ``paths`` as sent, summed, for each of WIRE_ENCODINGS.

    http.client decodes nothing, so what is counted is what crossed the connection.
    """
    sizes = {}
    for encoding in WIRE_ENCODINGS:
        total = 0
        for path in paths:
            _, status, body = one_request(
                base_url, Request(path, headers={"Accept-Encoding": encoding}), timeout_s)
            if status != 200:
                raise RuntimeError(f"{path} answered {status}")
            total += len(body)
        sizes[encoding] = total
    return sizes


def single(base_url: str, request: Request, count: int, timeout_s: float,
           budget_s: float) -> Result:
    """Up to `count` requests one after another, stopping early once `budget_s` is spent.

    A request that times out ends the series and is reported in the note.
    """
    times: list[float] = []
    errors = 0
    note = "single requests, one at a time"
    spent = 0.0
    for number in range(count):
        try:
            seconds, status, _ = one_request(base_url, request, timeout_s, number + 1)
        except TimeoutError:
            note = f"did not finish within {timeout_s:.0f} s"
            if not times:
                return Result(0, 0.0, 0.0, 0.0, errors, "single", note)
            break
        times.append(seconds)
        spent += seconds
        errors += status >= 400
        if spent >= budget_s:
            break
    if not times:
        return Result(0, 0.0, 0.0, 0.0, errors, "single", note)
    ordered = sorted(times)
    return Result(len(times), sum(times), statistics.median(ordered) * 1000,
                  ordered[-1] * 1000, errors, "single", note)


# ---- choosing -----------------------------------------------------------------


@dataclass(frozen=True)
class LoadPlan:
    seconds: float = 5.0
    warmup_s: float = 1.0
    timeout_s: float = 30.0
    # Slower than this for one request alone (the best of a few, so that one stall on
    # a busy machine does not decide), a load run is a handful of samples: time single
    # requests instead; likewise when a load run finishes too few requests.
    slow_request_s: float = 0.5
    probes: int = 3
    min_load_requests: int = 20
    single_count: int = 3
    single_budget_s: float = 20.0
    use_wrk: bool = field(default_factory=lambda: shutil.which("wrk") is not None)


def is_balanced(connections: list[int]) -> bool:
    """Whether every worker holds at least half its share of the load's connections."""
    if not connections:
        return True
    return min(connections) * 2 * len(connections) >= CONNECTIONS


def with_balance_note(result: Result, seen: list[int] | None) -> Result:
    """Say so in the result when the server's workers did not share the connections."""
    if seen is None or is_balanced(seen):
        return result
    note = f"connections per worker {'/'.join(map(str, seen))}"
    return replace(result, note=f"{result.note}; {note}" if result.note else note)


def measure(base_url: str, request: Request, plan: LoadPlan,
            watch: Callable[[], list[int]] | None = None) -> Result:
    """Warm up, then one bounded load run, or single requests when one is too slow.

    ``watch`` tells how many connections each of the server's workers holds; a wrk
    run they did not share out evenly says so in its note (servers.py caps each
    worker's connections so that they do).
    """
    probe_s = plan.timeout_s
    for _ in range(plan.probes):
        try:
            seconds, status, body = one_request(base_url, request, plan.timeout_s)
        except TimeoutError:
            return Result(0, 0.0, 0.0, 0.0, 0, "single",
                          f"did not finish within {plan.timeout_s:.0f} s")
        if status >= 400:
            raise RuntimeError(f"{request.method} {request.path} -> {status}: {body[:300]!r}")
        probe_s = min(probe_s, seconds)
        if seconds > plan.slow_request_s * 4:  # clearly slow: no need to ask again
            break
    if probe_s > plan.slow_request_s:
        return single(base_url, request, plan.single_count, plan.timeout_s,
                      plan.single_budget_s)
    if plan.use_wrk:
        run_wrk(base_url, request, plan.warmup_s, plan.timeout_s)
        result = with_balance_note(
            *run_wrk(base_url, request, plan.seconds, plan.timeout_s, watch))
    else:
        run_python(base_url, request, plan.warmup_s, plan.timeout_s)
        result = run_python(base_url, request, plan.seconds, plan.timeout_s)
    if result.requests < plan.min_load_requests:
        return single(base_url, request, plan.single_count, plan.timeout_s,
                      plan.single_budget_s)
    return result


def sequential(base_url: str, request: Request, plan: LoadPlan, count: int,
               budget_s: float) -> Result:
    """Latency alone: up to `count` requests one after another, none in parallel."""
    result = single(base_url, request, count, plan.timeout_s, budget_s)
    note = result.note if "did not finish" in result.note else ""
    return replace(result, mode="sequential", note=note)
