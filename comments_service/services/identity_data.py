"""A signed-in reader's own data: everything tied to their identity, to read or erase.

The signed-in counterpart of reader_data.py (which works by a mailed link per address):
the bearer token proves the identity, so no mail is needed. Erasing purges each of the
identity's comments as a moderator's purge does (deepest first, so a thread of the
reader's own replies goes whole), logs each as "reader_erase", and deletes the identity
with its tokens. Services flush; callers commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from comments_service.models import Comment, CommentStatus, Site, Thread
from comments_service.services import audit, readers
from comments_service.services.moderation import purge_comment
from comments_service.services.reader_data import READER
from comments_service.services.readers import Reader


@dataclass(frozen=True)
class ErasedIdentity:
    deleted: int
    kept_as_placeholders: int


def _own(site: Site, reader: Reader) -> Any:
    return (select(Comment, Thread).join(Thread, Thread.id == Comment.thread_id)
            .where(Thread.site_id == site.id, Comment.identity_id == reader.identity_id))


def export(session: Session, site: Site, reader: Reader) -> dict[str, Any]:
    """The identity as stored (verified email included: it is the reader's own) and every
    comment it wrote on the site, whatever its status, oldest first."""
    rows = session.execute(_own(site, reader).order_by(Comment.created_at, Comment.id))
    return {
        "identity": {"id": reader.identity_id, "provider": reader.provider,
                     "name": reader.name, "avatar_url": reader.avatar_url,
                     "email": reader.email},
        "comments": [{
            "id": comment.id, "article": thread.article_key, "article_url": thread.url,
            "status": comment.status, "body_markdown": comment.body_markdown,
            "created_at": _iso_time(comment.created_at),
            "edited_at": _iso_time(comment.edited_at),
        } for comment, thread in rows],
    }


def _iso_time(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def erase(session: Session, site: Site, reader: Reader, now: datetime) -> ErasedIdentity:
    """Purge every comment of the identity on the site, then the identity and its tokens."""
    deleted = kept = 0
    rows = session.execute(
        _own(site, reader).order_by(Comment.depth.desc(), Comment.id.desc())).all()
    for comment, thread in rows:
        session.refresh(comment, ["child_count"])
        before, comment_id = comment.status, comment.id
        after = purge_comment(session, comment)
        if after == CommentStatus.DELETED.value:
            kept += 1
        else:
            deleted += 1
        audit.record(session, READER, site.id, "reader_erase", now, comment_id=comment_id,
                     thread_id=thread.id, status_before=before, status_after=after,
                     note="erased at its author's request (signed in)")
    readers.erase(session, site, reader.identity_id)
    return ErasedIdentity(deleted, kept)
