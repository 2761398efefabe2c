"""Isso: its SQLite database file (the ``dbpath`` of isso.cfg), read-only.

Isso keeps two tables (isso/db/threads.py, isso/db/comments.py): ``threads(id,
uri, title)`` and ``comments(tid, id, parent, created, modified, mode,
remote_addr, text, author, email, website, likes, dislikes, voters,
notification)``. ``created``/``modified`` are Unix times (floats); ``mode`` is
1 accepted, 2 waiting for moderation, 4 deleted but kept for its replies;
``text`` is the reader's Markdown, which Isso renders with a few inline HTML tags
allowed (``b``, ``i``, ``a``, ``code``, ``blockquote``, ...); ``author``, ``email``
and ``website`` are stored HTML-escaped (Isso escapes them on input), so they are
decoded once here. ``remote_addr`` is already anonymized. A thread's only key is
its ``uri`` (usually the page's path), so every --key-from takes it (url-path
keeps only the path and query of a full URL).

Isso's database names no site, but every Isso install draws a random
``session-key`` (table ``preferences``) on first start: a hash of it is the
source in the import keys, so two Isso databases imported into one site never
collide (``--source NAME`` replaces it). The key itself is a secret and is never
stored.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from comments_service.importers.records import (
    Body,
    CommentRecord,
    ImportFileError,
    KeyFrom,
    Record,
    Skipped,
    ThreadRecord,
    article_key,
    decoded_once,
    import_key,
    source_name,
    text_of,
)
from comments_service.models import CommentStatus

_MODES = {1: CommentStatus.VISIBLE, 2: CommentStatus.PENDING, 4: CommentStatus.DELETED}
_COMMENT_COLUMNS = (
    "id, tid, parent, created, modified, mode, remote_addr, text, author, email, website, "
    "likes, dislikes"
)


def _time(value: object) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"not a Unix time: {value!r}")
    return datetime.fromtimestamp(value, UTC)


def _source(connection: sqlite3.Connection, tables: set[str]) -> str | None:
    """"isso-<hash of the install's session-key>", or None when it has none."""
    if "preferences" not in tables:
        return None
    row = connection.execute(
        "SELECT value FROM preferences WHERE key = 'session-key'"
    ).fetchone()
    if row is None or not row[0]:
        return None
    return "isso-" + hashlib.sha256(str(row[0]).encode()).hexdigest()[:16]


def _comment(row: sqlite3.Row, source: str | None) -> Record:
    source_id = str(row["id"])
    status = _MODES.get(row["mode"])
    if status is None:
        return Skipped(source_id, f"unknown mode {row['mode']!r}")
    try:
        created_at = _time(row["created"])
        edited_at = _time(row["modified"]) if row["modified"] is not None else None
    except (ValueError, OverflowError, OSError):
        return Skipped(source_id, f"bad date {row['created']!r}")
    parent = row["parent"]
    return CommentRecord(
        source_id=source_id,
        import_key=import_key("isso", source, source_id),
        thread_source_id=str(row["tid"]),
        parent_source_id=str(parent) if parent not in (None, 0) else None,
        status=status,
        created_at=created_at,
        edited_at=edited_at,
        body=Body(markdown=row["text"] or "", markdown_has_html=True),
        author_name=decoded_once(row["author"]),
        author_email=decoded_once(row["email"]),
        author_website=decoded_once(row["website"]),
        client_address=text_of(row["remote_addr"]),
        score=int(row["likes"] or 0) - int(row["dislikes"] or 0),
    )


def read_isso(
    path: Path, key_from: KeyFrom = KeyFrom.URL_PATH, *, source_label: str | None = None
) -> Iterator[Record]:
    """Yield Isso's threads, then its comments by id, one row at a time.

    ``source_label`` (``--source``) replaces the install's hashed session-key in the
    import keys. Opens the file read-only and never changes it. Raises ImportFileError when it
    is not an SQLite database or lacks Isso's tables.
    """
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise ImportFileError(f"cannot open {path} as an SQLite database: {exc}") from exc
    with closing(connection):
        connection.row_factory = sqlite3.Row
        try:
            tables = {
                row[0]
                for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if not {"threads", "comments"} <= tables:
                raise ImportFileError(f"not an Isso database (no threads and comments): {path}")
            source = source_name(source_label) or _source(connection, tables)
            for row in connection.execute("SELECT id, uri, title FROM threads ORDER BY id"):
                uri_text = text_of(row["uri"])
                yield ThreadRecord(
                    source_id=str(row["id"]),
                    article_key=article_key(key_from, url=uri_text, identifier=uri_text),
                    title=text_of(row["title"]),
                    url=uri_text,
                )
            for row in connection.execute(
                f"SELECT {_COMMENT_COLUMNS} FROM comments ORDER BY id"  # noqa: S608 - fixed
            ):
                yield _comment(row, source)
        except sqlite3.DatabaseError as exc:
            raise ImportFileError(f"not a readable Isso database: {exc}") from exc
