"""Commento (and Commento++): the data export a domain's owner gets by email.

The file (``DOMAIN-TIME.json.gz``, or unpacked) is one JSON document
(api/domain_export.go, api/domain_import_commento.go): ``{"version": 1,
"comments": [{"commentHex", "domain", "url" (the page's path), "commenterHex",
"markdown", "parentHex" ("root" at top level), "score", "state" ("approved",
"unapproved" or "flagged"), "creationDate" (RFC 3339)}], "commenters":
[{"commenterHex", "email", "name", "link", "photo", "provider", "joinDate"}]}``.
Commento renders the Markdown with raw HTML skipped, so it is rendered here as a
reader's Markdown. A deleted comment keeps its row with ``markdown`` "[deleted]"
and the commenter "anonymous"; an anonymous commenter has no row in
``commenters``; an unset link or email is the text "undefined". The comments'
``domain`` is the source in every import key.

The commenters come after the comments, so the document is read whole: Commento
exports are small (a domain's comments, without HTML).
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
    import_key,
    parse_iso_time,
    source_name,
    text_of,
)
from comments_service.models import CommentStatus

_STATES = {
    "approved": CommentStatus.VISIBLE,
    "unapproved": CommentStatus.PENDING,
    "flagged": CommentStatus.HIDDEN,  # held as spam by Commento's checker
}
ANONYMOUS = "anonymous"
DELETED_TEXT = "[deleted]"


def _text(value: Any) -> str | None:
    text = text_of(value) if isinstance(value, str) else None
    return None if text == "undefined" else text


def _document(source: IO[bytes]) -> dict[str, Any]:
    try:
        document = json.load(unpacked(source))
    except (ValueError, OSError, EOFError) as exc:
        raise ImportFileError(f"not a Commento export: not (gzipped) JSON ({exc})") from exc
    if not isinstance(document, dict) or not isinstance(document.get("comments"), list):
        raise ImportFileError("not a Commento export: no list of comments")
    if document.get("version", 1) != 1:
        raise ImportFileError(f"a Commento export of version {document.get('version')!r}, not 1")
    return document


def _comment(data: dict[str, Any], people: dict[str, dict[str, Any]],
             source: str | None) -> Record:
    source_id = _text(data.get("commentHex"))
    path = _text(data.get("url")) or "/"
    if source_id is None:
        return Skipped("comment ?", "comment without a commentHex", f"on {path}")
    status = _STATES.get(data.get("state") or "approved")
    if status is None:
        return Skipped(source_id, f"unknown state {data.get('state')!r}", f"on {path}")
    try:
        created_at = parse_iso_time(data.get("creationDate"))
    except (TypeError, ValueError):
        return Skipped(source_id, f"bad date {data.get('creationDate')!r}", f"on {path}")
    author = data.get("commenterHex") or ANONYMOUS
    markdown = data.get("markdown") if isinstance(data.get("markdown"), str) else ""
    if data.get("deleted") or (author == ANONYMOUS and markdown == DELETED_TEXT):
        status = CommentStatus.DELETED
    person = people.get(author, {})
    parent = _text(data.get("parentHex"))
    score = data.get("score")
    return CommentRecord(
        source_id=source_id,
        import_key=import_key("commento", source or source_name(_text(data.get("domain"))),
                              source_id),
        thread_source_id=path,
        parent_source_id=None if parent in (None, "root") else parent,
        status=status,
        created_at=created_at,
        body=Body(markdown=markdown),
        author_name=_text(person.get("name")),
        author_email=_text(person.get("email")),
        author_website=_text(person.get("link")),
        score=score if isinstance(score, int) and not isinstance(score, bool) else 0,
    )


def read_commento(
    source: IO[bytes], key_from: KeyFrom = KeyFrom.URL_PATH, *, source_label: str | None = None
) -> Iterator[Record]:
    """Yield each page as a thread (before its first comment), then every comment.

    ``source_label`` (``--source``) replaces the Commento domain in the import
    keys. Raises ImportFileError when the file is not a Commento export.
    """
    document = _document(source)
    people = {
        person["commenterHex"]: person for person in document.get("commenters") or []
        if isinstance(person, dict) and isinstance(person.get("commenterHex"), str)
    }
    given = source_name(source_label)
    seen: set[str] = set()
    for data in document["comments"]:
        if not isinstance(data, dict):
            yield Skipped("comment ?", "not a JSON object")
            continue
        record = _comment(data, people, given)
        if isinstance(record, CommentRecord) and record.thread_source_id not in seen:
            path = record.thread_source_id
            seen.add(path)
            domain = _text(data.get("domain"))
            url = f"https://{domain}{path}" if domain else None
            yield ThreadRecord(
                source_id=path,
                article_key=article_key(key_from, url=url or path, identifier=path),
                url=url,
            )
        yield record
