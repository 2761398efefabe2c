"""The in-process counter storage behind ``memory://`` limits, without a thread per hit.

limits' MemoryStorage drops expired counters from a ``threading.Timer`` of 10 ms, and
every hit that finds the last timer finished starts a new one; ``Timer.start()``
waits for the new thread to run. Under steady traffic that is a thread started
about every 10 ms, and it was 10-15% of a thread page's CPU (profiled). Expiry
here is the same sweep, run inline by a hit at most once per ``SWEEP_INTERVAL_S``.
What is counted does not change: MemoryStorage checks each counter's expiry and
each entry's age when it reads them; the sweep only frees memory.

``limits.configure_limiter`` maps ``memory://`` to this storage's scheme.
"""

from __future__ import annotations

import time
from typing import Any

from limits.storage import MemoryStorage

SCHEME = "comments-memory"
# How often a hit sweeps out expired counters and moving-window entries.
SWEEP_INTERVAL_S = 1.0


class SweepingMemoryStorage(MemoryStorage):
    STORAGE_SCHEME = [SCHEME]

    def __init__(
        self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any
    ) -> None:
        self._next_sweep = 0.0
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    # Replaces MemoryStorage's private __schedule_expiry (name-mangled), which every
    # counting method calls first.
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_INTERVAL_S
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


def storage_uri(configured: str) -> str:
    """The URI handed to Flask-Limiter: ``memory://`` served by this storage."""
    if configured.startswith("memory://"):
        return f"{SCHEME}://" + configured.removeprefix("memory://")
    return configured
