"""Thread page cursors: opaque to clients, urlsafe base64 of a small JSON list.

Tampering yields at worst another valid page, so they are checked for shape, not
signed. services/threads.py pages by them.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from comments_service.errors import InvalidCursor

if TYPE_CHECKING:
    from comments_service.services.thread_pages import CommentNode

Sort = Literal["oldest", "newest", "top"]


def encode_cursor(parts: list[Any]) -> str:
    raw = json.dumps(parts, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        parts = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise InvalidCursor(fields={"cursor": "not a cursor from this service"}) from exc
    if not isinstance(parts, list) or not parts:
        raise InvalidCursor(fields={"cursor": "not a cursor from this service"})
    return parts


def _aware(text: Any) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError("naive time in cursor")
    return value


def top_level_key(sort: Sort, cursor: str) -> tuple[Any, ...]:
    """(is_pinned, [rank,] created_at, id) of the last comment of the previous page."""
    parts = decode_cursor(cursor)
    expected = 5 if sort == "top" else 4
    if parts[0] != sort or len(parts) != expected:
        raise InvalidCursor(fields={"cursor": f"this cursor is not for sort={sort}"})
    try:
        if not isinstance(parts[1], bool):
            raise TypeError
        if sort == "top":
            _, pinned, rank, created, ident = parts
            if not isinstance(rank, int) or not isinstance(ident, int):
                raise TypeError
            return (pinned, rank, _aware(created), ident)
        _, pinned, created, ident = parts
        if not isinstance(ident, int) or isinstance(ident, bool):
            raise TypeError
        return (pinned, _aware(created), ident)
    except (TypeError, ValueError) as exc:
        raise InvalidCursor(fields={"cursor": "not a cursor from this service"}) from exc


def top_level_cursor(sort: Sort, node: CommentNode) -> str:
    created = node.created_at.isoformat()
    if sort == "top":
        return encode_cursor([sort, node.is_pinned, node.rank, created, node.id])
    return encode_cursor([sort, node.is_pinned, created, node.id])


def replies_cursor(root_id: int, after_path: str) -> str:
    return encode_cursor(["replies", root_id, after_path])


def replies_key(cursor: str) -> tuple[int, str]:
    parts = decode_cursor(cursor)
    if (
        len(parts) != 3
        or parts[0] != "replies"
        or not isinstance(parts[1], int)
        or not isinstance(parts[2], str)
    ):
        raise InvalidCursor(fields={"cursor": "not a replies cursor from this service"})
    return parts[1], parts[2]
