"""The in-process counter storage behind ``memory://`` limits, without a thread per hit.

limits' MemoryStorage drops expired counters from a ``threading.Timer`` of 10 ms, and
every hit that finds the last timer finished starts a new one; ``Timer.start()``
waits for the new thread to run. Under steady traffic that is a thread started
about every 10 ms, and it was 10-15% of a thread page's CPU (profiled). Expiry
here is the same sweep, run inline by the hits, and in slices: a pass starts at most
once per ``SWEEP_INTERVAL_S`` and each hit sweeps at most ``SWEEP_SLICE`` keys of it.
A whole pass in one hit cost 73-106 ms with 10,000 live-stream readers' keys (make
bench's crowd), and under gevent that stalls every request of the process; a slice
costs well under a millisecond. What is counted does not change: MemoryStorage checks
each counter's expiry and each entry's age when it reads them; the sweep only frees
memory.

``limits.configure_limiter`` maps ``memory://`` to this storage's scheme.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Iterator
from typing import Any

from limits.storage import MemoryStorage

SCHEME = "comments-memory"
# How often a hit sweeps out expired counters and moving-window entries.
SWEEP_INTERVAL_S = 1.0
# Keys a single hit sweeps at most, while a pass is under way.
SWEEP_SLICE = 200


class SweepingMemoryStorage(MemoryStorage):
    STORAGE_SCHEME = [SCHEME]

    def __init__(
        self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any
    ) -> None:
        self._next_sweep = 0.0
        self._pass: Iterator[tuple[bool, str]] | None = None
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    # Replaces MemoryStorage's private __schedule_expiry (name-mangled), which every
    # counting method calls first.
    def _MemoryStorage__schedule_expiry(self) -> None:
        if self._pass is None:
            now = time.monotonic()
            if now < self._next_sweep:
                return
            self._next_sweep = now + SWEEP_INTERVAL_S
            # Keys taken now: what arrives later waits for the next pass.
            # list(dict) copies the keys in one step; iterating the dict itself fails
            # when another thread adds a key meanwhile (gthread workers, and the
            # timer MemoryStorage starts when it is created).
            self._pass = iter([(True, key) for key in list(self.events)]
                              + [(False, key) for key in list(self.expirations)])
        self.sweep_slice(SWEEP_SLICE)

    def sweep_slice(self, most: int) -> bool:
        """Sweep up to `most` keys of the pass under way; True when the pass is over."""
        if self._pass is None:
            return True
        now = time.time()
        for _ in range(most):
            item = next(self._pass, None)
            if item is None:
                self._pass = None
                return True
            is_window, key = item
            if is_window:
                self._expire_window(key, now)
            elif self.expirations.get(key, now + 1) <= now:
                self.storage.pop(key, None)
                self.expirations.pop(key, None)
                self.locks.pop(key, None)
        return False

    def _expire_window(self, key: str, now: float) -> None:
        # MemoryStorage.__expire_events for one key: entries are newest first.
        with self.locks[key]:
            if events := self.events.get(key, []):
                oldest = bisect.bisect_left(events, -now, key=lambda entry: -entry.expiry)
                self.events[key] = events[:oldest]
            if not self.events.get(key, None):
                self.events.pop(key, None)
                self.locks.pop(key, None)


def storage_uri(configured: str) -> str:
    """The URI handed to Flask-Limiter: ``memory://`` served by this storage."""
    if configured.startswith("memory://"):
        return f"{SCHEME}://" + configured.removeprefix("memory://")
    return configured
