"""Our own export (services/export.py, docs/export-format.md), read back as a stream.

ijson reads the document event by event: a thread's scalar fields and each of
its comments are built one at a time, so a file of any size needs the memory of
one comment. Each comment keeps the import_key it had (so a site moved from
Disqus and then to another server still recognises its Disqus comments); a
comment first posted on the exporting server gets ``json:<site>:<id>``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

import ijson

from comments_service.importers.records import (
    Body,
    CommentRecord,
    ImportFileError,
    Record,
    Skipped,
    ThreadRecord,
    parse_iso_time,
)
from comments_service.models import CommentStatus
from comments_service.services.export import EXPORT_FORMAT, EXPORT_VERSION

_THREAD = "threads.item"
_COMMENT = "threads.item.comments.item"
_THREAD_FIELDS = {"article_key", "title", "url", "is_locked", "created_at"}


def _optional_text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _source_id(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    return str(value)


def _comment(data: Any, thread_id: str, site: str) -> Record:
    if not isinstance(data, dict):
        return Skipped(f"comment in thread {thread_id}", "not an object")
    source_id = _source_id(data.get("id"))
    if source_id is None:
        return Skipped(f"comment in thread {thread_id}", "comment without an id")
    try:
        status = CommentStatus(data.get("status"))
    except ValueError:
        return Skipped(source_id, f"unknown status {data.get('status')!r}")
    try:
        created_at = parse_iso_time(_optional_text(data.get("created_at")))
        edited = _optional_text(data.get("edited_at"))
        edited_at: datetime | None = parse_iso_time(edited) if edited else None
    except ValueError:
        return Skipped(source_id, f"bad date {data.get('created_at')!r}")
    score = data.get("score", 0)
    import_key = _optional_text(data.get("import_key")) or f"json:{site}:{source_id}"
    return CommentRecord(
        source_id=source_id,
        import_key=import_key,
        thread_source_id=thread_id,
        parent_source_id=_source_id(data.get("parent_id")),
        status=status,
        created_at=created_at,
        edited_at=edited_at,
        body=Body(
            html=_optional_text(data.get("body_html")) or "",
            markdown=_optional_text(data.get("body_markdown")) or "",
        ),
        author_name=_optional_text(data.get("author_name")),
        author_email=_optional_text(data.get("author_email")),
        author_website=_optional_text(data.get("author_website")),
        score=score if isinstance(score, int) and not isinstance(score, bool) else 0,
        reply_to_is_parent=False,
        reply_to_source_id=_source_id(data.get("reply_to_id")),
        upvotes=_count(data.get("upvotes")),
        downvotes=_count(data.get("downvotes")),
        anchor=data.get("anchor") if isinstance(data.get("anchor"), dict) else None,
    )


def _count(value: Any) -> int | None:
    """A vote counter: a non-negative integer, or None (then derived from the score)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _thread(fields: dict[str, Any], thread_id: str) -> ThreadRecord:
    try:
        created_at: datetime | None = parse_iso_time(_optional_text(fields.get("created_at")))
    except ValueError:
        created_at = None
    return ThreadRecord(
        source_id=thread_id,
        article_key=_optional_text(fields.get("article_key")),
        title=_optional_text(fields.get("title")),
        url=_optional_text(fields.get("url")),
        created_at=created_at,
        is_locked=fields.get("is_locked") is True,
    )


def read_export(source: IO[bytes]) -> Iterator[Record]:
    """Yield the threads and comments of one of our export files, one at a time.

    Raises ImportFileError when the file is not JSON or not our export format
    (or a version this code does not know).
    """
    header: dict[str, Any] = {}
    threads = 0
    thread_id = ""
    thread_fields: dict[str, Any] = {}
    builder: ijson.ObjectBuilder | None = None
    try:
        for prefix, event, value in ijson.parse(source):
            if builder is not None:
                builder.event(event, value)
                if prefix == _COMMENT and event == "end_map":
                    yield _comment(builder.value, thread_id, str(header.get("site", "")))
                    builder = None
            elif prefix == _COMMENT and event == "start_map":
                builder = ijson.ObjectBuilder()
                builder.event(event, value)
            elif prefix == _COMMENT and event != "end_array":
                yield _comment(value, thread_id, "")  # a string, number or list: skipped
            elif prefix in ("format", "version", "site"):
                header[prefix] = value
            elif prefix == "threads" and event == "start_array":
                if header.get("format") != EXPORT_FORMAT or header.get("version") != EXPORT_VERSION:
                    raise ImportFileError(
                        f"not a {EXPORT_FORMAT} file of version {EXPORT_VERSION}: "
                        f"format={header.get('format')!r}, version={header.get('version')!r}"
                    )
            elif prefix == _THREAD and event == "start_map":
                threads += 1
                thread_id, thread_fields = f"thread-{threads}", {}
            elif prefix == _THREAD and event == "end_map":
                yield _thread(thread_fields, thread_id)
            elif prefix.startswith(_THREAD + ".") and prefix[len(_THREAD) + 1 :] in _THREAD_FIELDS:
                thread_fields[prefix[len(_THREAD) + 1 :]] = value
    except ijson.JSONError as exc:
        raise ImportFileError(f"not valid JSON: {exc}") from exc
    if "format" not in header:
        raise ImportFileError(f"not a {EXPORT_FORMAT} file: no format field")
