"""Thread pages already built, kept per process and served while the thread is unchanged.

A thread page is a function of the thread's rows and the page asked for, and every
write to a thread bumps its ``version`` (posts, edits, deletes, votes, imports, every
moderation action). So a page built once can be served again, byte for byte, to every
reader who asks for the same page while the thread's version is the one it was built
at; the version is read from the database on every request, so a change made through
any process or host is seen at once, exactly as for the page's ETag.

The cache holds one body per page (site, thread, sort, cursor, sizes, passage): the
body for a newer version replaces the older one, so a busy thread does not fill the
cache with versions nobody can be served any more. It is bounded in bytes and drops
the page used least recently first; a page larger than an eighth of the bound is not
kept, so one huge page cannot empty it. ``max_bytes`` 0 turns it off.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True)
class CacheStats:
    pages: int
    bytes: int
    max_bytes: int


class PageCache:
    """Rendered pages by identity, each valid for one version of its thread."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, max_bytes)
        self._lock = threading.Lock()
        self._pages: OrderedDict[str, tuple[int, bytes]] = OrderedDict()
        self._bytes = 0

    def get(self, page: str, version: int) -> bytes | None:
        """The page's body built at this version of its thread, or None."""
        if not self.max_bytes:
            return None
        with self._lock:
            entry = self._pages.get(page)
            if entry is None or entry[0] != version:
                return None
            self._pages.move_to_end(page)
            return entry[1]

    def put(self, page: str, version: int, body: bytes) -> None:
        """Keep the page's body for this version, replacing any other version of it."""
        if not self.max_bytes or len(body) > self.max_bytes // 8:
            return
        with self._lock:
            old = self._pages.pop(page, None)
            if old is not None:
                if old[0] > version:  # a slower request built an older version: keep the newer
                    self._pages[page] = old
                    return
                self._bytes -= len(old[1])
            self._pages[page] = (version, body)
            self._bytes += len(body)
            while self._bytes > self.max_bytes:
                _, (_, dropped) = self._pages.popitem(last=False)
                self._bytes -= len(dropped)

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(len(self._pages), self._bytes, self.max_bytes)
