"""Reader flags: "this comment is spam / abuse / off topic / other", and auto-hide.

A reader is their network (the keyed hash of their anonymized address, as for
rate limits) plus, when the widget sends one, a random browser token: two
readers behind one office router can each flag once, and a reader who clears
their token gets a second flag at most from the same network.

The flag threshold counts distinct networks, so one person rotating browser
tokens cannot hide a comment alone. A comment is hidden at the moment its
count of open flags reaches the threshold; after a moderator restores it,
further flags do not hide it again (approving clears the flags and starts over).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import distinct, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from comments_service.config import ModerationSettings
from comments_service.errors import AlreadyFlagged, CommentNotFound, ValidationFailed
from comments_service.events import NO_EVENTS, CommentChange, CommentEvent, EventSink
from comments_service.models import (
    MAX_FLAG_TEXT,
    Comment,
    CommentStatus,
    Flag,
    FlagReason,
    Site,
    Thread,
)
from comments_service.services import audit, moderation
from comments_service.services.moderators import AUTO

MAX_READER_TOKEN = 256
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class FlagDraft:
    """What a reader sends with a flag."""

    reason: str
    text: str | None = None


@dataclass(frozen=True)
class Flagged:
    comment_id: int
    is_hidden: bool


def _clean(draft: FlagDraft, reader_token: str | None, rules: ModerationSettings) -> str | None:
    fields: dict[str, str] = {}
    if draft.reason not in {reason.value for reason in FlagReason}:
        fields["reason"] = "Use spam, abuse, off_topic or other."
    text = _CONTROL.sub("", draft.text).strip() if draft.text is not None else ""
    most = min(rules.max_flag_text_chars, MAX_FLAG_TEXT)
    if draft.reason == FlagReason.OTHER and not text:
        fields["text"] = "Say what is wrong with this comment."
    elif len(text) > most:
        fields["text"] = f"Keep it under {most} characters."
    if reader_token is not None and len(reader_token) > MAX_READER_TOKEN:
        fields["X-Reader-Token"] = f"Keep it under {MAX_READER_TOKEN} characters."
    if fields:
        raise ValidationFailed(fields=fields)
    return text or None


def flag_comment(
    session: Session,
    site: Site,
    comment_id: int,
    draft: FlagDraft,
    client_hash: str | None,
    reader_token: str | None,
    rules: ModerationSettings,
    now: datetime,
    events: EventSink = NO_EVENTS,
) -> Flagged:
    """Record a reader's flag; hide the comment when it brings the flags to the threshold.

    Emits "hidden" when it hides the comment, then "flagged" (events.py).

    Raises ValidationFailed (unknown reason, "other" without text, text too
    long), CommentNotFound (no visible comment with that id on the site) and
    AlreadyFlagged (this reader flagged it before).
    """
    text = _clean(draft, reader_token, rules)
    network = client_hash or ""
    reader_key = hashlib.sha256(reader_token.encode()).hexdigest() if reader_token else ""

    comment = session.execute(
        select(Comment)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Comment.id == comment_id, Thread.site_id == site.id)
        .with_for_update(of=Comment)
    ).scalar_one_or_none()
    if comment is None or comment.status != CommentStatus.VISIBLE.value:
        raise CommentNotFound()

    mine = session.execute(
        select(Flag.reader_key, Flag.cleared_at).where(
            Flag.comment_id == comment.id, Flag.client_hash == network
        )
    ).all()
    if any(row.reader_key == reader_key for row in mine):
        raise AlreadyFlagged()
    is_new_network = not any(row.cleared_at is None for row in mine)

    try:
        with session.begin_nested():
            session.add(Flag(comment_id=comment.id, reason=draft.reason, text=text,
                             client_hash=network, reader_key=reader_key, created_at=now))
    except IntegrityError:
        # The same reader's second request won the race.
        raise AlreadyFlagged() from None
    comment.flag_count = Comment.flag_count + 1
    session.flush()

    threshold = moderation.flag_threshold(site, rules)
    if threshold > 0 and is_new_network:
        networks = session.execute(
            select(func.count(distinct(Flag.client_hash))).where(
                Flag.comment_id == comment.id, Flag.cleared_at.is_(None)
            )
        ).scalar_one()
        if networks == threshold:
            moderation.change_status(
                session, comment, CommentStatus.HIDDEN,
                reason=f"auto-hidden by {networks} flags", events=events, now=now,
            )
            audit.record(
                session, AUTO, site.id, "auto_hide", now,
                comment_id=comment.id, thread_id=comment.thread_id,
                status_before=CommentStatus.VISIBLE.value,
                status_after=CommentStatus.HIDDEN.value,
                note=f"{networks} readers flagged it (threshold {threshold})",
            )
    events.emit(session, CommentChange(CommentEvent.FLAGGED, comment, now, site_id=site.id))
    return Flagged(comment_id=comment.id, is_hidden=comment.status == CommentStatus.HIDDEN.value)
