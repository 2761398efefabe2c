"""The throwaway SQLite file an import's records are sorted out in before any write.

A source may list replies before their parents, threads after their comments, or
one id twice, and a 1 GB export cannot be held in memory to sort that out. So
records go, as they are read, into an SQLite file on disk (stdlib sqlite3, its
default page cache of about 2 MB), where the first of two equal ids is kept,
every comment gets its level in the source tree, and the deleted comments left
with no replies are marked as dropped. loader.py then reads it level by level and
writes back where each comment landed, so that its replies find their parent.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from comments_service.config import ImportSettings
from comments_service.importers.records import CommentRecord, Record, Skipped, ThreadRecord
from comments_service.models import MAX_IMPORT_KEY, CommentStatus

_STAGING_SCHEMA = """
CREATE TABLE thread (
    source_id TEXT PRIMARY KEY,
    article_key TEXT,
    title TEXT,
    url TEXT,
    created_at TEXT,
    is_locked INTEGER NOT NULL,
    db_id INTEGER
);
CREATE TABLE comment (
    seq INTEGER PRIMARY KEY,
    source_id TEXT NOT NULL UNIQUE,
    import_key TEXT NOT NULL UNIQUE,
    thread_source_id TEXT NOT NULL,
    parent_source_id TEXT,
    reply_to_is_parent INTEGER NOT NULL,
    reply_to_source_id TEXT,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    fields TEXT NOT NULL,
    level INTEGER,
    is_dropped INTEGER NOT NULL DEFAULT 0,
    is_new INTEGER NOT NULL DEFAULT 0,
    db_id INTEGER,
    db_path TEXT,
    db_thread_id INTEGER
);
CREATE INDEX comment_parent ON comment (parent_source_id);
CREATE INDEX comment_level ON comment (level, created_at, seq);
"""


def stamp(value: datetime) -> str:
    """Fixed-width UTC ISO text: sorts as the time it stands for."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


class Staging:
    """The throwaway SQLite file records are sorted out in; removed on exit."""

    def __init__(self, directory: Path | None) -> None:
        self._directory = tempfile.TemporaryDirectory(prefix="comments-import-", dir=directory)
        self.db = sqlite3.connect(Path(self._directory.name) / "staging.sqlite3")
        self.db.row_factory = sqlite3.Row
        # Throwaway data: no journal, no fsync. The page cache stays SQLite's default
        # (about 2 MB), so memory does not grow with the file.
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.executescript(_STAGING_SCHEMA)

    def __enter__(self) -> Staging:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.db.close()
        self._directory.cleanup()

    def add_thread(self, record: ThreadRecord) -> bool:
        cursor = self.db.execute(
            "INSERT INTO thread (source_id, article_key, title, url, created_at, is_locked)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (
                record.source_id,
                record.article_key,
                record.title,
                record.url,
                stamp(record.created_at) if record.created_at else None,
                record.is_locked,
            ),
        )
        return cursor.rowcount == 1

    def add_comment(self, record: CommentRecord) -> bool:
        fields = {
            "html": record.body.html,
            "markdown": record.body.markdown,
            "markdown_has_html": record.body.markdown_has_html,
            "author_name": record.author_name,
            "author_email": record.author_email,
            "author_website": record.author_website,
            "client_address": record.client_address,
            "edited_at": stamp(record.edited_at) if record.edited_at else None,
            "score": record.score,
            "upvotes": record.upvotes,
            "downvotes": record.downvotes,
            "anchor": record.anchor,
            "held_because": record.held_because,
        }
        cursor = self.db.execute(
            "INSERT INTO comment (source_id, import_key, thread_source_id, parent_source_id,"
            " reply_to_is_parent, reply_to_source_id, status, created_at, fields)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (
                record.source_id,
                record.import_key,
                record.thread_source_id,
                record.parent_source_id,
                record.reply_to_is_parent,
                record.reply_to_source_id,
                record.status.value,
                stamp(record.created_at),
                json.dumps(fields),
            ),
        )
        return cursor.rowcount == 1

    def where(self, thread_source_id: str) -> str:
        """The post a comment is on, as a report names it: its title and URL."""
        row = self.db.execute(
            "SELECT title, url FROM thread WHERE source_id = ?", (thread_source_id,)
        ).fetchone()
        if row is None or not (row["title"] or row["url"]):
            return f"in thread {thread_source_id}"
        title = f"“{row['title']}” " if row["title"] else ""
        return f"on {title}{row['url'] or 'thread ' + thread_source_id}".strip()

    def place(self, skipped: list[Skipped]) -> None:
        """Give every comment reachable from a top-level one its level; report the rest."""
        db = self.db
        db.execute("UPDATE comment SET level = 0 WHERE parent_source_id IS NULL")
        level = 0
        while db.execute(
            "UPDATE comment SET level = ? WHERE level IS NULL AND parent_source_id IN"
            " (SELECT source_id FROM comment WHERE level = ?)",
            (level + 1, level),
        ).rowcount:
            level += 1
        for row in db.execute(
            "SELECT c.source_id, c.parent_source_id, c.thread_source_id, p.seq AS parent_seq"
            " FROM comment c LEFT JOIN comment p ON p.source_id = c.parent_source_id"
            " WHERE c.level IS NULL ORDER BY c.seq"
        ).fetchall():
            parent = row["parent_source_id"]
            reason = (
                f"missing parent {parent}"
                if row["parent_seq"] is None
                else f"parent {parent} is not reachable (an ancestor is missing, or a cycle)"
            )
            skipped.append(Skipped(row["source_id"], reason, self.where(row["thread_source_id"])))
        # A deleted comment is kept only as a placeholder for replies that are kept.
        while db.execute(
            "UPDATE comment SET is_dropped = 1 WHERE status = ? AND is_dropped = 0"
            " AND level IS NOT NULL AND NOT EXISTS (SELECT 1 FROM comment child"
            " WHERE child.parent_source_id = comment.source_id AND child.is_dropped = 0"
            " AND child.level IS NOT NULL)",
            (CommentStatus.DELETED.value,),
        ).rowcount:
            pass
        for row in db.execute(
            "SELECT source_id, thread_source_id FROM comment WHERE is_dropped = 1 ORDER BY seq"
        ).fetchall():
            skipped.append(Skipped(row["source_id"], "deleted, with no replies to hold",
                                   self.where(row["thread_source_id"])))
        db.commit()


def stage(
    staging: Staging, records: Iterable[Record], settings: ImportSettings, skipped: list[Skipped]
) -> None:
    """Write every record into staging; what cannot be staged goes to skipped, with why."""
    # (comment id, reason, thread id): named by their post once every thread is read.
    refused: list[tuple[str, str, str]] = []
    for record in records:
        if isinstance(record, Skipped):
            skipped.append(record)
        elif isinstance(record, ThreadRecord):
            if not staging.add_thread(record):
                skipped.append(
                    Skipped(f"thread {record.source_id}", "duplicate thread id (first kept)")
                )
        elif len(record.import_key) > MAX_IMPORT_KEY:
            refused.append((record.source_id, "id too long", record.thread_source_id))
        elif len(record.body.html or record.body.markdown or "") > settings.max_body_chars:
            refused.append((record.source_id,
                            f"body longer than {settings.max_body_chars} characters",
                            record.thread_source_id))
        elif not staging.add_comment(record):
            refused.append((record.source_id, "duplicate id (first kept)",
                            record.thread_source_id))
    staging.db.commit()
    skipped.extend(
        Skipped(ident, reason, staging.where(thread)) for ident, reason, thread in refused
    )
