"""Moderator actions on a whole thread: lock or unlock it, switch its pre-moderation.

Each checks the actor's site, applies the change, bumps the thread's version and
writes the audit entry in the same transaction; the caller commits.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from comments_service.config import ModerationSettings
from comments_service.errors import (
    ActionNotAllowed,
    ThreadNotFound,
)
from comments_service.models import (
    Thread,
)
from comments_service.services import audit
from comments_service.services.moderation import clean_note, touch_thread
from comments_service.services.moderators import Actor


class ThreadAction(enum.StrEnum):
    LOCK = "lock"
    UNLOCK = "unlock"
    PREMODERATE = "premoderate"
    UNPREMODERATE = "unpremoderate"


@dataclass(frozen=True)
class ThreadResult:
    thread_id: int
    action: str
    is_locked: bool
    is_premoderated: bool


def moderate_thread(
    session: Session,
    actor: Actor,
    thread_id: int,
    action: ThreadAction,
    note: str | None,
    rules: ModerationSettings,
    now: datetime,
) -> ThreadResult:
    """Lock/unlock a thread (posting refuses a locked one), or switch its pre-moderation.

    Records the action. Raises ThreadNotFound, NotYourSite, ActionNotAllowed
    (already so) and ValidationFailed (note).
    """
    note = clean_note(note, rules)
    thread = session.execute(
        select(Thread).where(Thread.id == thread_id).with_for_update()
    ).scalar_one_or_none()
    if thread is None:
        raise ThreadNotFound()
    actor.require_site(thread.site_id)
    if action in (ThreadAction.LOCK, ThreadAction.UNLOCK):
        wanted = action == ThreadAction.LOCK
        if thread.is_locked == wanted:
            raise ActionNotAllowed(f"This thread is already {'locked' if wanted else 'open'}.")
        thread.is_locked = wanted
    else:
        wanted = action == ThreadAction.PREMODERATE
        if thread.is_premoderated == wanted:
            state = "on" if wanted else "off"
            raise ActionNotAllowed(f"Pre-moderation is already {state} for this thread.")
        thread.is_premoderated = wanted
    session.flush()
    touch_thread(session, thread.id)
    audit.record(session, actor, thread.site_id, action.value, now, thread_id=thread.id,
                 note=note)
    return ThreadResult(thread_id=thread.id, action=action.value,
                        is_locked=thread.is_locked, is_premoderated=thread.is_premoderated)
