"""Remark42: the backup file of ``remark42 backup`` (and of its daily auto-backup).

The file (gzipped as Remark42 writes it, or unpacked) is a stream of JSON values,
one per line (backend/app/migrator/native.go): first the meta, ``{"version": 1,
"users": [{"id", "blocked": {"status", "until"}, "verified", "details":
{"user_id", "email"}}], "posts": [{"url", "read_only"}]}``, then every comment
(backend/app/store/comment.go): ``{"id", "pid" ("" at top level), "text" (HTML,
already sanitized by Remark42), "orig" (the Markdown typed), "user": {"name",
"id", "ip" (a keyed hash, not an address), "block", ...}, "locator": {"site",
"url"}, "score", "time" (RFC 3339), "edit": {"time", "summary"}, "delete",
"title"}``. Remark42 stores a user's name and a post's title HTML-escaped
(SanitizeText), so both are decoded once here. The locator's ``site`` is the
source in every import key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from comments_service.importers.gzipped import unpacked
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
    parse_iso_time,
    source_name,
    text_of,
)
from comments_service.models import CommentStatus

SUPPORTED_VERSIONS = {0, 1}  # 0: backups written before the field existed


def _text(value: Any) -> str | None:
    return text_of(value) if isinstance(value, str) else None


def _meta(line: bytes) -> tuple[dict[str, str], set[str]]:
    """(email by user id, URLs of read-only posts) from the first line; or why not."""
    try:
        meta = json.loads(line)
    except ValueError as exc:
        raise ImportFileError(f"not a Remark42 backup: the first line is not JSON ({exc})") from exc
    if not isinstance(meta, dict) or not {"users", "posts"} & meta.keys():
        raise ImportFileError("not a Remark42 backup: the first line is not its meta")
    version = meta.get("version", 0)
    if version not in SUPPORTED_VERSIONS:
        raise ImportFileError(f"a Remark42 backup of version {version!r}, not 0 or 1")
    emails: dict[str, str] = {}
    for user in meta.get("users") or []:
        details = user.get("details") if isinstance(user, dict) else None
        email = _text(details.get("email")) if isinstance(details, dict) else None
        if email and isinstance(user.get("id"), str):
            emails[user["id"]] = email
    read_only = {
        post["url"] for post in meta.get("posts") or []
        if isinstance(post, dict) and post.get("read_only") and isinstance(post.get("url"), str)
    }
    return emails, read_only


def _comment(data: dict[str, Any], emails: dict[str, str], source: str | None) -> Record:
    source_id = _text(data.get("id"))
    user = data.get("user") if isinstance(data.get("user"), dict) else {}
    locator = data.get("locator") if isinstance(data.get("locator"), dict) else {}
    url = _text(locator.get("url"))
    if source_id is None:
        return Skipped("comment ?", "comment without an id", f"on {url}")
    if url is None:
        return Skipped(source_id, "comment without a locator url")
    try:
        created_at = parse_iso_time(data.get("time"))
    except (TypeError, ValueError):
        return Skipped(source_id, f"bad time {data.get('time')!r}", f"on {url}")
    edit = data.get("edit") if isinstance(data.get("edit"), dict) else {}
    try:
        edited_at = parse_iso_time(edit["time"]) if edit.get("time") else None
    except (TypeError, ValueError):
        edited_at = None
    status = CommentStatus.VISIBLE
    if data.get("delete"):
        status = CommentStatus.DELETED
    elif user.get("block"):
        status = CommentStatus.HIDDEN  # Remark42 shows a blocked user's comments to no one
    score = data.get("score")
    return CommentRecord(
        source_id=source_id,
        import_key=import_key("remark42", source or source_name(_text(locator.get("site"))),
                              source_id),
        thread_source_id=url,
        parent_source_id=_text(data.get("pid")),
        status=status,
        created_at=created_at,
        edited_at=edited_at,
        body=Body(html=data.get("text") or "", markdown=_text(data.get("orig"))),
        author_name=decoded_once(_text(user.get("name"))),
        author_email=emails.get(user.get("id") or ""),
        score=score if isinstance(score, int) and not isinstance(score, bool) else 0,
    )


def read_remark42(
    source: IO[bytes], key_from: KeyFrom = KeyFrom.URL_PATH, *, source_label: str | None = None
) -> Iterator[Record]:
    """Yield each post as a thread (on its first comment), and every comment, in file order.

    One line is held at a time (plus the users' emails and the read-only posts'
    URLs from the meta). ``source_label`` (``--source``) replaces the Remark42 site
    id in the import keys. Raises ImportFileError when the first line is not a
    Remark42 meta of a known version.
    """
    lines = unpacked(source)
    first = True
    emails: dict[str, str] = {}
    read_only: set[str] = set()
    seen: set[str] = set()
    given = source_name(source_label)
    for number, line in enumerate(lines, start=1):  # type: ignore[arg-type]
        if not line.strip():
            continue
        if first:
            emails, read_only = _meta(line)
            first = False
            continue
        try:
            data = json.loads(line)
        except ValueError:
            yield Skipped(f"line {number}", "not a JSON comment")
            continue
        if not isinstance(data, dict):
            yield Skipped(f"line {number}", "not a JSON object")
            continue
        record = _comment(data, emails, given)
        if isinstance(record, CommentRecord) and record.thread_source_id not in seen:
            url = record.thread_source_id
            seen.add(url)
            yield ThreadRecord(
                source_id=url,
                article_key=article_key(key_from, url=url, identifier=url),
                title=decoded_once(_text(data.get("title"))),
                url=url,
                is_locked=url in read_only,
            )
        yield record
    if first:
        raise ImportFileError("not a Remark42 backup: the file is empty")
