"""The crowd: thousands of live-stream readers in one asyncio process (issue 19's load).

    python -m benchmarks.live_readers --target 127.0.0.1:8080 [--target ...] \
        --path '/api/v1/sites/demo/thread/events?article=crowd' --count 10000

Each reader connects from its own source address 127.A.B.1 (a /24 of its own, so the
server's per-address cap never groups them) and holds one Server-Sent Events stream;
readers are dealt round-robin over the targets. The request is HTTP/1.0 so the body
comes unchunked and ends with the connection: a reader only scans what arrives for
the `data:` lines of `comment` events and notes when each arrived (time.time()).

It talks to the benchmark on stdin/stdout, one JSON object a line: it prints
{"opened", "refused", "failed", "seconds"} once every reader has its answer, then
answers "report" with every comment id seen and the arrival times, "status" with
how many streams are still open, and ends on "close" (or end of input).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

# Connections being opened at once: the listening socket's backlog is never flooded.
OPENING_AT_ONCE = 256
COMMENT_DATA = b'data: {"thread_id"'


def source_address(index: int) -> str:
    """127.A.B.1 for reader `index`: A from 1, B 0..255, a distinct /24 each."""
    return f"127.{1 + index // 256}.{index % 256}.1"


class Reader(asyncio.Protocol):
    """One stream: the status line, then `comment` data lines, scanned per chunk (a
    Protocol, not a StreamReader: a post wakes every reader at once, and this process
    shares the machine with the server it measures)."""

    def __init__(self, crowd: Crowd, request: bytes, answered: asyncio.Future[str]) -> None:
        self.crowd = crowd
        self.request = request
        self.answered = answered
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        data = self.buffer + data
        if not self.answered.done():
            status = data.split(b" ", 2)[1:2]
            self.answered.set_result(status[0].decode() if status else "none")
        start = data.find(COMMENT_DATA)
        while start >= 0:
            end = data.find(b"\n", start)
            if end < 0:
                break
            comment_id = json.loads(data[start + 6:end])["comment_id"]
            self.crowd.arrivals.setdefault(comment_id, []).append(now)
            start = data.find(COMMENT_DATA, end)
        # Keep an unfinished data line for the next chunk.
        self.buffer = data[start:] if start >= 0 else b""

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.answered.done():
            self.answered.set_result("closed")
        self.crowd.open_now -= 1


@dataclass
class Crowd:
    path: str
    opened: int = 0
    open_now: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    arrivals: dict[int, list[float]] = field(default_factory=dict)
    transports: list[asyncio.BaseTransport] = field(default_factory=list)

    async def open_one(self, index: int, host: str, port: int,
                       gate: asyncio.Semaphore) -> None:
        loop = asyncio.get_running_loop()
        request = (f"GET {self.path} HTTP/1.0\r\nHost: {host}:{port}\r\n"
                   "Accept: text/event-stream\r\n\r\n").encode()
        async with gate:
            answered: asyncio.Future[str] = loop.create_future()
            try:
                transport, _ = await asyncio.wait_for(loop.create_connection(
                    lambda: Reader(self, request, answered), host, port,
                    local_addr=(source_address(index), 0)), 30)
                self.open_now += 1
                code = await asyncio.wait_for(answered, 30)
            except (OSError, TimeoutError) as exc:
                self.failed[type(exc).__name__] += 1
                return
        if code != "200":
            self.refused[code] += 1
            transport.close()
            return
        self.opened += 1
        self.transports.append(transport)


async def commands(crowd: Crowd) -> None:
    loop = asyncio.get_running_loop()
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if line == "report":
            answer: dict[str, object] = {"arrivals": crowd.arrivals, "open_now": crowd.open_now}
        elif line == "status":
            answer = {"open_now": crowd.open_now}
        else:
            return
        print(json.dumps(answer), flush=True)


async def run(targets: list[tuple[str, int]], path: str, count: int) -> None:
    crowd = Crowd(path)
    gate = asyncio.Semaphore(OPENING_AT_ONCE)
    started = time.perf_counter()
    await asyncio.gather(*(crowd.open_one(i, *targets[i % len(targets)], gate)
                           for i in range(count)))
    print(json.dumps({"opened": crowd.opened, "refused": crowd.refused,
                      "failed": crowd.failed, "seconds": time.perf_counter() - started}),
          flush=True)
    await commands(crowd)
    for transport in crowd.transports:
        transport.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", action="append", required=True, help="host:port")
    parser.add_argument("--path", required=True)
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args(argv)
    targets = [(t.rsplit(":", 1)[0], int(t.rsplit(":", 1)[1])) for t in args.target]
    asyncio.run(run(targets, args.path, args.count))
    return 0


if __name__ == "__main__":
    sys.exit(main())
