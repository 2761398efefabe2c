"""Exports that come gzipped or not: Remark42 backups (``.gz``) and Commento exports
(``.json.gz``) are written compressed, and an owner may have unpacked them already.
"""

from __future__ import annotations

import gzip
import io
from typing import IO

_GZIP_MAGIC = b"\x1f\x8b"


class _Peeked(io.RawIOBase):
    """A read-only stream whose first bytes were read to sniff it, handed back first."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        super().__init__()
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        size = len(buffer)
        if self._head:
            data, self._head = self._head[:size], self._head[size:]
        else:
            data = self._rest.read(size)
        buffer[: len(data)] = data
        return len(data)


def unpacked(source: IO[bytes]) -> IO[bytes]:
    """The bytes of ``source``, uncompressed on the fly when it is gzipped.

    Reads two bytes to tell; the stream returned is read once, front to back, by
    ``read`` or line by line.
    """
    head = source.read(2)
    peeked = io.BufferedReader(_Peeked(head, source))
    if head == _GZIP_MAGIC:
        return gzip.GzipFile(fileobj=peeked, mode="rb")
    return peeked
