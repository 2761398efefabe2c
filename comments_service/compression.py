"""Compressed answers: which encoding a client gets, and its bytes, made once.

Two kinds of answer are worth compressing and both are made once and served many times:
the widget's files (web.py, compressed when the process first serves them, at the
strongest settings) and thread pages (kept in the page cache per page and thread
version, each encoding compressed when the first reader asks for it, so a cached answer
costs no compression). So this module compresses bytes on demand rather than every
response on its way out, which is what Flask-Compress does (after each request, and
outside Flask, where thread_front.py answers, not at all); gzip is the standard
library's, Brotli the ``brotli`` package's.

The choice is the client's Accept-Encoding (q-values honoured, ``*`` and ``q=0``
included), Brotli before gzip when both are equally welcome, and none for a body under
``compression.min_bytes``. A compressed answer's ETag is the plain one with the encoding
appended (``"abc-br"``), so no cache serves one encoding for another; every answer that
could have been compressed carries ``Vary: Accept-Encoding``.
"""

from __future__ import annotations

import gzip

import brotli
from werkzeug.http import parse_accept_header

from comments_service.config import CompressionSettings

#: What we send, in order of preference when the client likes both the same.
ENCODINGS = ("br", "gzip")
VARY = ("Vary", "Accept-Encoding")


def choose(settings: CompressionSettings, accept_encoding: str | None, size: int) -> str | None:
    """The encoding for a body of ``size`` bytes, or None to send it as it is."""
    if not settings.enabled or not accept_encoding or size < settings.min_bytes:
        return None
    return parse_accept_header(accept_encoding).best_match(ENCODINGS)


def compress(body: bytes, encoding: str, *, gzip_level: int, brotli_quality: int) -> bytes:
    """body in the encoding ("br" or "gzip"); gzip with no name or time, so it is stable."""
    if encoding == "br":
        return brotli.compress(body, quality=brotli_quality)
    return gzip.compress(body, compresslevel=gzip_level, mtime=0)


def compress_page(settings: CompressionSettings, body: bytes, encoding: str) -> bytes:
    """A thread page in the encoding, at the page settings (made once per page version)."""
    return compress(body, encoding, gzip_level=settings.gzip_level,
                    brotli_quality=settings.brotli_quality)


def compress_static(settings: CompressionSettings, body: bytes, encoding: str) -> bytes:
    """A widget file in the encoding, at the static settings (made once per process)."""
    return compress(body, encoding, gzip_level=settings.static_gzip_level,
                    brotli_quality=settings.static_brotli_quality)


def encoded_etag(etag: str, encoding: str | None) -> str:
    """The ETag of the body in this encoding (the plain one for none)."""
    return f"{etag}-{encoding}" if encoding else etag
