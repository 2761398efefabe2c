"""Exporting a site: every thread and comment, as one JSON document written row by row.

The format is documented in docs/export-format.md and read back by
importers/jsonfile.py. One query streams the site's threads joined to their
comments in (thread, path) order, so parents come before their replies and a
file of any size is written with the memory of one row. The file holds
authors' email addresses: it is the site owner's data, to be kept private.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from comments_service.models import Comment, PassageAnchor, Site, Thread

EXPORT_FORMAT = "comments-service/export"
EXPORT_VERSION = 1
#: Rows fetched from the database at a time (a server-side cursor on PostgreSQL).
_ROWS_PER_FETCH = 1000


@dataclass(frozen=True)
class ExportSummary:
    threads: int
    comments: int


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


_EXPORT_ROWS = (
    select(
        Thread.id.label("thread_id"),
        Thread.article_key,
        Thread.title,
        Thread.url,
        Thread.is_locked,
        Thread.created_at.label("thread_created_at"),
        Comment.id,
        Comment.parent_id,
        Comment.reply_to_id,
        Comment.status,
        Comment.created_at,
        Comment.edited_at,
        Comment.author_name,
        Comment.author_email,
        Comment.author_website,
        Comment.score,
        Comment.upvotes,
        Comment.downvotes,
        PassageAnchor.passage_key,
        PassageAnchor.quote,
        PassageAnchor.prefix,
        PassageAnchor.suffix,
        Comment.body_markdown,
        Comment.body_html,
        Comment.import_key,
    )
    .outerjoin(Comment, Comment.thread_id == Thread.id)
    .outerjoin(PassageAnchor, PassageAnchor.comment_id == Comment.id)
    .order_by(Thread.id, Comment.path)
    .execution_options(yield_per=_ROWS_PER_FETCH)
)
"""Threads joined to their comments (and anchors) in (thread, path) order; filtered by site."""


def _thread_record(row: Row[Any]) -> dict[str, Any]:
    return {
        "article_key": row.article_key,
        "title": row.title,
        "url": row.url,
        "is_locked": row.is_locked,
        "created_at": _time(row.thread_created_at),
    }


def _comment_record(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "parent_id": row.parent_id,
        "reply_to_id": row.reply_to_id,
        "status": row.status,
        "created_at": _time(row.created_at),
        "edited_at": _time(row.edited_at),
        "author_name": row.author_name,
        "author_email": row.author_email,
        "author_website": row.author_website,
        "score": row.score,
        "upvotes": row.upvotes,
        "downvotes": row.downvotes,
        "anchor": None if row.passage_key is None else {
            "passage_key": row.passage_key, "quote": row.quote,
            "prefix": row.prefix, "suffix": row.suffix,
        },
        "body_markdown": row.body_markdown,
        "body_html": row.body_html,
        "import_key": row.import_key,
    }


def export_site(session: Session, site: Site, out: TextIO, now: datetime) -> ExportSummary:
    """Write all of the site's threads and comments to ``out`` as JSON, incrementally.

    Comments of a thread come in depth-first order (a parent before its replies),
    each with its status, author (email included), dates, score and vote counters,
    its passage anchor (top-level comments), both bodies and
    the import_key it came with. Nothing is held beyond the current row.
    """
    header = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "site": site.slug,
        "exported_at": now.isoformat(),
    }
    out.write(_dump(header)[:-1] + ',\n"threads": [')
    threads = comments = 0
    current_thread: int | None = None
    first_comment = True
    for row in session.execute(_EXPORT_ROWS.where(Thread.site_id == site.id)):
        if row.thread_id != current_thread:
            if current_thread is not None:
                out.write("\n]},")
            current_thread, first_comment = row.thread_id, True
            threads += 1
            out.write("\n" + _dump(_thread_record(row))[:-1] + ', "comments": [')
        if row.id is None:
            continue  # a thread with no comments left
        comments += 1
        out.write(("\n" if first_comment else ",\n") + _dump(_comment_record(row)))
        first_comment = False
    if current_thread is not None:
        out.write("\n]}")
    out.write("\n]}\n")
    return ExportSummary(threads=threads, comments=comments)
