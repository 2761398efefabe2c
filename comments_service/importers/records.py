"""What every importer yields: plain records, written to the database by loader.py only.

An importer reads one source and yields, in whatever order the source holds them,
a ThreadRecord per article, a CommentRecord per comment, and a Skipped for an item
it could not read (a bad date, a missing id). It never decides nesting, counters or
idempotency: the loader does, the same way for every source.
"""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape
from urllib.parse import urlsplit

from comments_service.models import CommentStatus


class ImportFileError(Exception):
    """The file cannot be imported at all (not well-formed, hostile, or another format).

    Raised while reading, before anything is written: an import either reads the
    whole file or writes nothing.
    """


class KeyFrom(enum.StrEnum):
    """Which part of a source thread becomes our article key (``--key-from``)."""

    URL_PATH = "url-path"
    IDENTIFIER = "identifier"
    URL = "url"


@dataclass(frozen=True)
class Body:
    """A comment's text as the source stores it.

    ``html`` is HTML from another system (sanitized with sanitize.clean); without it,
    ``markdown`` is rendered (sanitize.render). Both: the HTML is cleaned and the
    Markdown kept as its source (our own export carries both).
    """

    html: str | None = None
    markdown: str | None = None
    # The source rendered its Markdown with a small set of raw HTML tags allowed
    # (Isso, Commento): those tags keep their meaning (sanitize.render_imported).
    markdown_has_html: bool = False


@dataclass(frozen=True)
class ThreadRecord:
    """An article of the source. ``article_key`` None: the chosen --key-from gives none."""

    source_id: str
    article_key: str | None
    title: str | None = None
    url: str | None = None
    created_at: datetime | None = None
    is_locked: bool = False


@dataclass(frozen=True)
class CommentRecord:
    """One comment of the source.

    ``source_id`` is unique within the file and is what ``parent_source_id`` (the
    comment this one answers) refers to; ``import_key`` ("disqus:123") is stored and
    makes a second import of the same comment into the same site a no-op.
    ``reply_to_source_id`` is read only when ``reply_to_is_parent`` is False (our
    own export, where a reply moved up by the depth cap keeps what it answered).
    """

    source_id: str
    import_key: str
    thread_source_id: str
    parent_source_id: str | None
    status: CommentStatus
    created_at: datetime
    body: Body
    author_name: str | None = None
    author_email: str | None = None
    author_website: str | None = None
    client_address: str | None = None
    edited_at: datetime | None = None
    score: int = 0
    reply_to_is_parent: bool = True
    reply_to_source_id: str | None = None
    # Our own export only: vote counters (else derived from score) and a passage
    # anchor of a top-level comment ({"passage_key", "quote", "prefix", "suffix"}).
    upvotes: int | None = None
    downvotes: int | None = None
    anchor: dict[str, str] | None = None
    # Why an approved comment arrives pending instead ("a password-protected post"):
    # its page was not public on the old site. Counted in the import report.
    held_because: str | None = None


@dataclass(frozen=True)
class Skipped:
    """An item left out of the import, and why; ``where`` names its post or thread."""

    source_id: str
    reason: str
    where: str | None = None

    def describe(self) -> str:
        """"comment 12 on post 8: reason", as the import report prints it."""
        place = f" ({self.where})" if self.where else ""
        return f"{self.source_id}{place}: {self.reason}"


Record = ThreadRecord | CommentRecord | Skipped


def key_from_url(url: str | None) -> str | None:
    """The url-path article key of a page URL: its path, plus ``?query`` when it has one.

    The query is kept because some sites address articles by it (WordPress's
    ``/?p=123``); the scheme, host and fragment are dropped.
    """
    if url is None or not url.strip():
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def article_key(
    key_from: KeyFrom, *, url: str | None, identifier: str | None
) -> str | None:
    """The article key a source thread maps to under ``key_from``, or None if it has none."""
    if key_from is KeyFrom.URL_PATH:
        return key_from_url(url)
    value = url if key_from is KeyFrom.URL else identifier
    value = value.strip() if value else ""
    return value or None


def parse_iso_time(text: str | None) -> datetime:
    """An ISO 8601 time as aware UTC; a time without a zone is taken as UTC.

    Raises ValueError when text is missing or not such a time.
    """
    if text is None or not text.strip():
        raise ValueError("no date")
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def text_of(value: str | None) -> str | None:
    """Stripped text, or None when empty."""
    if value is None:
        return None
    value = value.strip()
    return value or None


# Longest source name kept readable in an import key; a longer one is hashed, so that
# "system:source:id" stays within models.MAX_IMPORT_KEY.
MAX_SOURCE_CHARS = 100
_SOURCE_JUNK = re.compile(r"[\s:]+")


def source_name(value: str | None) -> str | None:
    """The exported site's name as it goes into an import key, or None if it has none.

    A URL counts by host and path (``https://Blog.example/`` and
    ``http://blog.example`` are one source); any other text (``--source NAME``) is
    kept, spaces and colons folded to ``-``. Names longer than MAX_SOURCE_CHARS are
    replaced by a hash of themselves.
    """
    text = (value or "").strip()
    if not text:
        return None
    if "://" in text:
        parts = urlsplit(text)
        text = f"{(parts.hostname or '').lower()}{parts.path.rstrip('/')}" or text
    name = _SOURCE_JUNK.sub("-", text).strip("-")
    if len(name) > MAX_SOURCE_CHARS:
        name = "h-" + hashlib.sha256(name.encode()).hexdigest()[:32]
    return name or None


def import_key(system: str, source: str | None, source_id: str) -> str:
    """The key that makes a second import of one comment into one site a no-op.

    ``system:source:id`` (``wordpress:blog.example:12``); without a source,
    ``system:id``, as imports made before sources were part of the key.
    """
    return f"{system}:{source}:{source_id}" if source else f"{system}:{source_id}"


def decoded_once(value: str | None) -> str | None:
    """A name, email or website that the source stored HTML-escaped, as text.

    WordPress and Isso keep ``Tom &amp; Jerry`` and ``What&#8217;s``; decoding once
    gives what the person typed (who typed ``&amp;`` literally keeps it).
    """
    return unescape(value) if value is not None else None
