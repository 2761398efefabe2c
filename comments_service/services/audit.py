"""The audit log: every moderator (and automatic) action, who, what, when, and on what.

Entries are written in the same transaction as the action they describe, so an
action and its record commit or roll back together. They name what they touched
by plain ids: a purged comment's entries outlive it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from comments_service.config import as_row_id
from comments_service.errors import InvalidCursor
from comments_service.models import AuditEntry, Site
from comments_service.services.moderators import Actor


@dataclass(frozen=True)
class AuditRecord:
    id: int
    created_at: datetime
    actor: str
    action: str
    site: str
    comment_id: int | None
    thread_id: int | None
    ban_id: int | None
    status_before: str | None
    status_after: str | None
    note: str | None


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditRecord]
    next_cursor: str | None


def record(
    session: Session,
    actor: Actor,
    site_id: int,
    action: str,
    now: datetime,
    *,
    comment_id: int | None = None,
    thread_id: int | None = None,
    ban_id: int | None = None,
    status_before: str | None = None,
    status_after: str | None = None,
    note: str | None = None,
) -> AuditEntry:
    """Add one entry to the log (flushed, in the caller's transaction)."""
    entry = AuditEntry(
        site_id=site_id,
        moderator_id=actor.moderator_id,
        actor=actor.name,
        action=action,
        comment_id=comment_id,
        thread_id=thread_id,
        ban_id=ban_id,
        status_before=status_before,
        status_after=status_after,
        note=note,
        created_at=now,
    )
    session.add(entry)
    session.flush()
    return entry


def parse_cursor(cursor: str | None) -> int | None:
    """The id to read below, from a cursor this module issued. Raises InvalidCursor."""
    if not cursor:
        return None
    below = as_row_id(cursor)
    if below is None:
        raise InvalidCursor(fields={"cursor": "not a cursor from this service"})
    return below


def read_log(
    session: Session,
    site_ids: frozenset[int] | set[int],
    *,
    comment_id: int | None = None,
    cursor: str | None = None,
    limit: int,
) -> AuditPage:
    """The newest entries of these sites (optionally about one comment), newest first.

    One query; pages by id. Raises InvalidCursor.
    """
    before = parse_cursor(cursor)
    query = (
        select(AuditEntry, Site.slug)
        .join(Site, Site.id == AuditEntry.site_id)
        .where(AuditEntry.site_id.in_(site_ids))
    )
    if comment_id is not None:
        query = query.where(AuditEntry.comment_id == comment_id)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    rows = session.execute(query.order_by(AuditEntry.id.desc()).limit(limit + 1)).all()
    entries = [
        AuditRecord(
            id=entry.id,
            created_at=entry.created_at,
            actor=entry.actor,
            action=entry.action,
            site=slug,
            comment_id=entry.comment_id,
            thread_id=entry.thread_id,
            ban_id=entry.ban_id,
            status_before=entry.status_before,
            status_after=entry.status_after,
            note=entry.note,
        )
        for entry, slug in rows[:limit]
    ]
    next_cursor = str(entries[-1].id) if len(rows) > limit and entries else None
    return AuditPage(entries=entries, next_cursor=next_cursor)
