"""How many live streams this process holds: per client address and in all.

Under gevent each open stream (or long poll) is a greenlet and a socket; under
gthread it keeps one server thread. The per-process cap keeps file descriptors
(or threads) free for ordinary requests; the per-client cap keeps one address
(or one script) from taking them all. Counts are per process, like what they
protect. The open-streams gauge follows the slots.
"""

from __future__ import annotations

import threading
from collections import Counter

from comments_service.live.metrics import LIVE_STREAMS


class TooManyForClient(Exception):
    """This client address already holds its share of streams."""


class ProcessFull(Exception):
    """This process holds as many streams as it may."""


class StreamSlots:
    def __init__(self, per_process: int, per_client: int) -> None:
        self.per_process = per_process
        self.per_client = per_client
        self._lock = threading.Lock()
        self._by_client: Counter[str] = Counter()
        self._total = 0

    def acquire(self, client: str) -> Slot:
        """A slot for `client`; raises TooManyForClient or ProcessFull."""
        with self._lock:
            if self._by_client[client] >= self.per_client:
                raise TooManyForClient(client)
            if self._total >= self.per_process:
                raise ProcessFull()
            self._by_client[client] += 1
            self._total += 1
        LIVE_STREAMS.inc()
        return Slot(self, client)

    def _release(self, client: str) -> None:
        with self._lock:
            self._total -= 1
            self._by_client[client] -= 1
            if self._by_client[client] <= 0:
                del self._by_client[client]
        LIVE_STREAMS.dec()

    @property
    def in_use(self) -> int:
        with self._lock:
            return self._total


class Slot:
    """One held stream; release() is safe to call more than once."""

    def __init__(self, slots: StreamSlots, client: str) -> None:
        self._slots = slots
        self._client = client
        self._released = False
        self._lock = threading.Lock()

    def release(self) -> None:
        with self._lock:
            if self._released:
                return
            self._released = True
        self._slots._release(self._client)
