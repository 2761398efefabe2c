"""Moderation: comment status transitions with their counters, and moderator actions.

``change_status`` is the one place a comment's status moves; ``remove_comment``
the one place a row leaves. Both keep the counters the read path trusts, by SQL
expressions so concurrent writers never lose an update:

- ``thread.total_count``: comments not deleted (visible, pending, hidden);
- ``thread.visible_count``: visible comments;
- the root's ``reply_count``: visible replies below a top-level comment;
- ``thread.version``: bumped by every change, so the thread's ETag changes.

Every action a moderator takes goes through ``moderate_comment`` /
``moderate_thread`` (and ``sites.update_site``), which check the actor's site,
apply the change and write the audit entry in the same transaction. Services
flush; the caller commits.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from comments_service.config import ModerationSettings
from comments_service.errors import (
    ActionNotAllowed,
    ApiError,
    CommentNotFound,
    ThreadNotFound,
    ValidationFailed,
)
from comments_service.models import (
    MAX_STATUS_REASON,
    Comment,
    CommentStatus,
    Flag,
    PassageAnchor,
    Site,
    Thread,
)
from comments_service.services import audit
from comments_service.services.moderators import Actor

# ---- the hook for notifications -------------------------------------------------

VisibleHook = Callable[[Session, Comment], None]
_visible_hooks: list[VisibleHook] = []


def on_comment_visible(hook: VisibleHook) -> VisibleHook:
    """Register ``hook(session, comment)`` to run when a pending comment becomes visible.

    For notifications: a comment held by pre-moderation was not announced when
    it was posted (posting writes its outbox row only for visible comments), so
    it must be announced when a moderator approves it. The hook runs inside the
    approving transaction, right after the status and counters changed and were
    flushed: write outbox rows with the given session and send nothing here
    (the worker sends after commit). An exception in a hook rolls the approval
    back. It does not run for hidden -> visible (a restore): that comment was
    visible, and announced, before.

    Usable as a decorator; returns the hook. Hooks are process-wide.
    """
    if hook not in _visible_hooks:
        _visible_hooks.append(hook)
    return hook


def remove_visible_hook(hook: VisibleHook) -> None:
    """Unregister a hook added with on_comment_visible (tests, reloads)."""
    if hook in _visible_hooks:
        _visible_hooks.remove(hook)


# ---- transitions and counters ---------------------------------------------------


def _counts_in_total(status: CommentStatus | None) -> int:
    return int(status is not None and status != CommentStatus.DELETED)


def _counts_as_visible(status: CommentStatus | None) -> int:
    return int(status == CommentStatus.VISIBLE)


def _move_counters(
    session: Session,
    comment: Comment,
    before: CommentStatus | None,
    after: CommentStatus | None,
) -> None:
    """Counters for a comment going from `before` to `after` (None: no such row)."""
    total = _counts_in_total(after) - _counts_in_total(before)
    visible = _counts_as_visible(after) - _counts_as_visible(before)
    values: dict[str, Any] = {"version": Thread.version + 1}
    if total:
        values["total_count"] = Thread.total_count + total
    if visible:
        values["visible_count"] = Thread.visible_count + visible
    session.execute(update(Thread).where(Thread.id == comment.thread_id).values(**values))
    if visible and comment.depth > 0 and comment.root_id is not None:
        session.execute(
            update(Comment)
            .where(Comment.id == comment.root_id)
            .values(reply_count=Comment.reply_count + visible)
        )


def touch_thread(session: Session, thread_id: int) -> None:
    """Bump the thread's version (its ETag) for a change that moves no counter."""
    session.execute(
        update(Thread).where(Thread.id == thread_id).values(version=Thread.version + 1)
    )


def change_status(
    session: Session,
    comment: Comment,
    new_status: CommentStatus,
    *,
    reason: str | None = None,
) -> CommentStatus:
    """Give the comment a new status, moving every counter with it; returns the old one.

    The only function that changes Comment.status after creation. Records
    `reason` (shown to moderators only). Runs the on_comment_visible hooks when
    a pending comment becomes visible. A comment already in `new_status` keeps
    its counters; only the reason changes.
    """
    before = CommentStatus(comment.status)
    after = CommentStatus(new_status)
    comment.status_reason = reason[:MAX_STATUS_REASON] if reason else None
    if before == after:
        session.flush()
        return before
    _move_counters(session, comment, before, after)
    comment.status = after.value
    session.flush()
    if before == CommentStatus.PENDING and after == CommentStatus.VISIBLE:
        for hook in list(_visible_hooks):
            hook(session, comment)
    return before


def remove_comment(session: Session, comment: Comment) -> None:
    """Delete the comment's row, moving counters as if its status became "gone".

    The caller makes sure it has no children (else keep it as a placeholder).
    Its flags go with it (ON DELETE CASCADE).
    """
    _move_counters(session, comment, CommentStatus(comment.status), None)
    if comment.parent_id is not None:
        session.execute(
            update(Comment)
            .where(Comment.id == comment.parent_id)
            .values(child_count=Comment.child_count - 1)
        )
    session.delete(comment)
    session.flush()


# ---- per-site rules -------------------------------------------------------------


def is_premoderated(site: Site, thread: Thread) -> bool:
    """Whether new comments on this thread wait as pending (site or article switch)."""
    return bool((site.settings or {}).get("premoderation")) or bool(thread.is_premoderated)


def flag_threshold(site: Site, rules: ModerationSettings) -> int:
    """Distinct networks whose flags hide a comment: the site's own, else config. 0: never."""
    value = (site.settings or {}).get("flag_threshold")
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return rules.flag_threshold


def clean_note(note: str | None, rules: ModerationSettings) -> str | None:
    """A moderator's note, trimmed; None when empty. Raises ValidationFailed when long."""
    if note is None:
        return None
    note = note.replace("\x00", "").strip()
    if len(note) > rules.max_note_chars:
        raise ValidationFailed(fields={"note": f"Keep it under {rules.max_note_chars} characters."})
    return note or None


# ---- actions on comments --------------------------------------------------------


class CommentAction(enum.StrEnum):
    APPROVE = "approve"
    HIDE = "hide"
    RESTORE = "restore"
    DELETE = "delete"
    PURGE = "purge"
    PIN = "pin"
    UNPIN = "unpin"


_PAST = {
    CommentAction.APPROVE: "approved",
    CommentAction.HIDE: "hidden",
    CommentAction.RESTORE: "restored",
    CommentAction.DELETE: "deleted",
}
_TARGET = {
    CommentAction.APPROVE: CommentStatus.VISIBLE,
    CommentAction.HIDE: CommentStatus.HIDDEN,
    CommentAction.RESTORE: CommentStatus.VISIBLE,
    CommentAction.DELETE: CommentStatus.DELETED,
}
_ALLOWED_FROM = {
    CommentAction.APPROVE: {CommentStatus.PENDING, CommentStatus.VISIBLE, CommentStatus.HIDDEN},
    CommentAction.HIDE: {CommentStatus.VISIBLE, CommentStatus.PENDING},
    CommentAction.RESTORE: {CommentStatus.HIDDEN, CommentStatus.DELETED},
    CommentAction.DELETE: {CommentStatus.VISIBLE, CommentStatus.PENDING, CommentStatus.HIDDEN},
}
PURGED = "purged"
"""status_after in the audit log of a comment whose row is gone."""


@dataclass(frozen=True)
class ActionResult:
    comment_id: int
    action: str
    status_before: str
    status_after: str
    is_pinned: bool


@dataclass(frozen=True)
class BulkOutcome:
    comment_id: int
    ok: bool
    status_after: str | None = None
    error: str | None = None
    message: str | None = None


def comment_for_action(
    session: Session, actor: Actor, comment_id: int
) -> tuple[Comment, Thread]:
    """The comment and its thread, row-locked for an action by this actor.

    Raises CommentNotFound, and NotYourSite when the actor does not moderate its site.
    """
    row = session.execute(
        select(Comment, Thread)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Comment.id == comment_id)
        .with_for_update(of=Comment)
    ).one_or_none()
    if row is None:
        raise CommentNotFound()
    comment, thread = row
    actor.require_site(thread.site_id)
    return comment, thread


def _is_erased(comment: Comment) -> bool:
    """Deleted by its author or purged: nothing left to show again."""
    return comment.body_markdown == "" and comment.author_name is None


def clear_flags(session: Session, comment: Comment, now: datetime) -> None:
    """Mark the comment's open flags cleared (kept for the record) and zero its count."""
    session.execute(
        update(Flag)
        .where(Flag.comment_id == comment.id, Flag.cleared_at.is_(None))
        .values(cleared_at=now)
    )
    comment.flag_count = 0


def _reason(action: CommentAction, actor: Actor, note: str | None) -> str:
    text = f"{_PAST[action]} by {actor.name}"
    return f"{text}: {note}" if note else text


def _change(
    session: Session, actor: Actor, comment: Comment, action: CommentAction,
    note: str | None, now: datetime,
) -> None:
    before = CommentStatus(comment.status)
    if before not in _ALLOWED_FROM[action]:
        raise ActionNotAllowed(f"A {before.value} comment cannot be {_PAST[action]}.")
    if action == CommentAction.APPROVE:
        if before == CommentStatus.VISIBLE and comment.flag_count == 0:
            raise ActionNotAllowed("This comment is visible and has no open flags.")
        clear_flags(session, comment, now)
    if action == CommentAction.RESTORE and _is_erased(comment):
        raise ActionNotAllowed("This comment's content was erased; it cannot be shown again.")
    if action in (CommentAction.HIDE, CommentAction.DELETE):
        comment.is_pinned = False
    change_status(session, comment, _TARGET[action], reason=_reason(action, actor, note))


def purge_comment(session: Session, comment: Comment) -> str:
    """Erase the comment for a data-removal request; returns its status after.

    A comment with replies stays as an empty placeholder (the replies keep their
    place); one without is deleted. Either way its text, author, address hash,
    flags and passage anchor are gone.
    """
    if comment.child_count == 0:
        remove_comment(session, comment)
        return PURGED
    change_status(session, comment, CommentStatus.DELETED, reason="purged")
    comment.body_markdown = ""
    comment.body_html = ""
    comment.author_name = None
    comment.author_email = None
    comment.author_website = None
    comment.avatar_seed = ""
    comment.client_hash = None
    comment.edit_token_hash = None
    comment.is_pinned = False
    comment.flag_count = 0
    session.execute(delete(Flag).where(Flag.comment_id == comment.id))
    # passages (issue 9): the quote is text the reader sent; it goes with the rest.
    session.execute(delete(PassageAnchor).where(PassageAnchor.comment_id == comment.id))
    session.flush()
    return CommentStatus.DELETED.value


def _pin(session: Session, comment: Comment, pinned: bool) -> None:
    if pinned:
        if comment.depth != 0:
            raise ActionNotAllowed("Only top-level comments can be pinned.")
        if comment.status != CommentStatus.VISIBLE.value:
            raise ActionNotAllowed("Only a visible comment can be pinned.")
        if comment.is_pinned:
            raise ActionNotAllowed("This comment is already pinned.")
    elif not comment.is_pinned:
        raise ActionNotAllowed("This comment is not pinned.")
    comment.is_pinned = pinned
    touch_thread(session, comment.thread_id)
    session.flush()


def moderate_comment(
    session: Session,
    actor: Actor,
    comment_id: int,
    action: CommentAction,
    note: str | None,
    rules: ModerationSettings,
    now: datetime,
) -> ActionResult:
    """Apply one moderator action to a comment and record it in the audit log.

    approve: pending/hidden/flagged -> visible, open flags cleared. hide: ->
    hidden. restore: hidden/deleted -> visible (flags stay open). delete: ->
    deleted, content kept for the audit. purge: content erased for good (a
    placeholder stays if it has replies). pin/unpin: a visible top-level comment
    sorts first. Raises CommentNotFound, NotYourSite, ActionNotAllowed (the
    action does not apply to the comment's state) and ValidationFailed (note).
    """
    note = clean_note(note, rules)
    comment, thread = comment_for_action(session, actor, comment_id)
    before = comment.status
    if action == CommentAction.PURGE:
        after = purge_comment(session, comment)
    elif action in (CommentAction.PIN, CommentAction.UNPIN):
        _pin(session, comment, action == CommentAction.PIN)
        after = comment.status
    else:
        _change(session, actor, comment, action, note, now)
        after = comment.status
    audit.record(
        session, actor, thread.site_id, action.value, now,
        comment_id=comment_id, thread_id=thread.id,
        status_before=before, status_after=after, note=note,
    )
    return ActionResult(
        comment_id=comment_id,
        action=action.value,
        status_before=before,
        status_after=after,
        is_pinned=after != PURGED and comment.is_pinned,
    )


def moderate_many(
    session: Session,
    actor: Actor,
    comment_ids: list[int],
    action: CommentAction,
    note: str | None,
    rules: ModerationSettings,
    now: datetime,
) -> list[BulkOutcome]:
    """Apply one action to several comments; each succeeds or fails on its own.

    A comment the action does not apply to (or of another site) is reported in
    its outcome and left as it was; the others go ahead. Raises ValidationFailed
    for no ids, more than rules.max_bulk, or a long note.
    """
    ids = list(dict.fromkeys(comment_ids))
    if not ids:
        raise ValidationFailed(fields={"comment_ids": "Select at least one comment."})
    if len(ids) > rules.max_bulk:
        raise ValidationFailed(
            fields={"comment_ids": f"Select at most {rules.max_bulk} comments at once."}
        )
    note = clean_note(note, rules)
    outcomes: list[BulkOutcome] = []
    for comment_id in ids:
        try:
            with session.begin_nested():
                result = moderate_comment(session, actor, comment_id, action, note, rules, now)
        except ApiError as error:
            outcomes.append(BulkOutcome(comment_id=comment_id, ok=False, error=error.code,
                                        message=error.message))
        else:
            outcomes.append(BulkOutcome(comment_id=comment_id, ok=True,
                                        status_after=result.status_after))
    return outcomes


# ---- actions on threads and sites -----------------------------------------------


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


@dataclass(frozen=True)
class SiteModeration:
    site: str
    premoderation: bool
    flag_threshold: int
    # votes: the site's own choice on down votes; None: the service's [votes] downvotes.
    downvotes: bool | None = None


def site_moderation(site: Site, rules: ModerationSettings) -> SiteModeration:
    """The site's moderation switches as they apply now."""
    return SiteModeration(
        site=site.slug,
        premoderation=bool((site.settings or {}).get("premoderation")),
        flag_threshold=flag_threshold(site, rules),
        downvotes=(site.settings or {}).get("downvotes"),
    )
