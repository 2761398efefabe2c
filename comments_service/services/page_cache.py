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

Beside its plain body a page keeps the compressed bodies readers asked for (gzip,
Brotli: compression.py), made once from the plain body and counted in the bound, so a
cached page in a reader's encoding is served without compressing anything.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CacheStats:
    pages: int
    bytes: int
    max_bytes: int


@dataclass
class _Entry:
    version: int
    body: bytes
    # Compressed bodies by encoding ("br", "gzip"), added as readers ask for them.
    encoded: dict[str, bytes] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(b) for b in self.encoded.values())


class PageCache:
    """Rendered pages by identity, each valid for one version of its thread."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, max_bytes)
        self._lock = threading.Lock()
        self._pages: OrderedDict[str, _Entry] = OrderedDict()
        self._bytes = 0

    def get(self, page: str, version: int) -> bytes | None:
        """The page's body built at this version of its thread, or None."""
        if not self.max_bytes:
            return None
        with self._lock:
            entry = self._pages.get(page)
            if entry is None or entry.version != version:
                return None
            self._pages.move_to_end(page)
            return entry.body

    def encoded(self, page: str, version: int, encoding: str, body: bytes,
                encode: Callable[[bytes], bytes]) -> bytes:
        """The page's body in an encoding: kept from an earlier reader, else ``encode(body)``.

        ``body`` is the page's plain body at ``version``. The encoded body is kept when
        the plain one is (same page and version), so each encoding of a page version is
        made once; otherwise it is made for this answer only.
        """
        with self._lock:
            entry = self._pages.get(page) if self.max_bytes else None
            if entry is not None and entry.version == version and encoding in entry.encoded:
                return entry.encoded[encoding]
        made = encode(body)  # outside the lock: other pages are served meanwhile
        with self._lock:
            entry = self._pages.get(page) if self.max_bytes else None
            if entry is not None and entry.version == version:
                previous = entry.encoded.get(encoding)
                entry.encoded[encoding] = made
                self._bytes += len(made) - (len(previous) if previous is not None else 0)
                self._shrink()
        return made

    def put(self, page: str, version: int, body: bytes) -> None:
        """Keep the page's body for this version, replacing any other version of it."""
        if not self.max_bytes or len(body) > self.max_bytes // 8:
            return
        with self._lock:
            old = self._pages.pop(page, None)
            if old is not None:
                if old.version > version:  # a slower request built an older version: keep it
                    self._pages[page] = old
                    return
                if old.version == version:  # built twice: the same bytes, keep its encodings
                    self._pages[page] = old
                    return
                self._bytes -= old.size
            self._pages[page] = _Entry(version, body)
            self._bytes += len(body)
            self._shrink()

    def _shrink(self) -> None:
        """Drop the pages used least recently until the cache is within its bound."""
        while self._bytes > self.max_bytes and self._pages:
            _, dropped = self._pages.popitem(last=False)
            self._bytes -= dropped.size

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(len(self._pages), self._bytes, self.max_bytes)
