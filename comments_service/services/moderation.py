"""Moderation: moderator actions on comments, and the per-site moderation rules.

Status changes and their counters live in services/status.py (``change_status``,
``remove_comment``, ``touch_thread``, importable from here too). Every action a
moderator takes goes through ``moderate_comment`` /
``thread_moderation.moderate_thread`` (and ``sites.update_site``), which check the
actor's site, apply the change and write the audit entry in the same transaction.
Services flush; the caller commits.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from comments_service.config import ModerationSettings
from comments_service.errors import (
    ActionNotAllowed,
    ApiError,
    CommentNotFound,
    ValidationFailed,
)
from comments_service.events import (
    NO_EVENTS,
    EventSink,
)
from comments_service.models import (
    Comment,
    CommentStatus,
    Flag,
    PassageAnchor,
    Site,
    Thread,
)
from comments_service.services import audit, reader_languages
from comments_service.services.moderators import Actor
from comments_service.services.status import change_status, remove_comment, touch_thread

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
BULK_ACTIONS = (
    CommentAction.APPROVE, CommentAction.HIDE, CommentAction.RESTORE, CommentAction.DELETE,
)
"""The actions offered for several comments at once (purge and pins go one by one)."""
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
class Failure:
    """Why one comment of a bulk action was left as it was (an ApiError's code and message)."""

    code: str
    message: str
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BulkOutcome:
    comment_id: int
    ok: bool
    status_after: str | None = None
    error: str | None = None
    message: str | None = None

    @property
    def failure(self) -> Failure | None:
        if self.ok or self.error is None:
            return None
        return Failure(self.error, self.message or "")


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
    note: str | None, now: datetime, events: EventSink,
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
    change_status(session, comment, _TARGET[action], reason=_reason(action, actor, note),
                  events=events, now=now)


def purge_comment(
    session: Session, comment: Comment, *, events: EventSink = NO_EVENTS,
    now: datetime | None = None,
) -> str:
    """Erase the comment for a data-removal request; returns its status after.

    A comment with replies stays as an empty placeholder (the replies keep their
    place); one without is deleted. Either way its text, author, address hash,
    flags and passage anchor are gone.
    """
    if comment.child_count == 0:
        remove_comment(session, comment, events=events, now=now)
        return PURGED
    change_status(session, comment, CommentStatus.DELETED, reason="purged", events=events,
                  now=now)
    comment.body_markdown = ""
    comment.body_html = ""
    comment.author_name = None
    comment.author_email = None
    comment.author_website = None
    comment.avatar_seed = ""
    comment.client_hash = None
    comment.edit_token_hash = None
    comment.identity_id = None
    comment.author_picture = None
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
    events: EventSink = NO_EVENTS,
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
        after = purge_comment(session, comment, events=events, now=now)
    elif action in (CommentAction.PIN, CommentAction.UNPIN):
        _pin(session, comment, action == CommentAction.PIN)
        after = comment.status
    else:
        _change(session, actor, comment, action, note, now, events)
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
    events: EventSink = NO_EVENTS,
) -> list[BulkOutcome]:
    """Apply one action to several comments; each succeeds or fails on its own.

    A comment the action does not apply to (or of another site) is reported in
    its outcome and left as it was; the others go ahead. Raises ValidationFailed
    for an action not in BULK_ACTIONS, no ids, more than rules.max_bulk, or a long note.
    """
    if action not in BULK_ACTIONS:
        raise ValidationFailed(
            fields={"action": "That action is not offered for several comments at once."}
        )
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
                result = moderate_comment(session, actor, comment_id, action, note, rules, now,
                                          events)
        except ApiError as error:
            outcomes.append(BulkOutcome(comment_id=comment_id, ok=False, error=error.code,
                                        message=error.message))
        else:
            outcomes.append(BulkOutcome(comment_id=comment_id, ok=True,
                                        status_after=result.status_after))
    return outcomes


# ---- per-site switches ------------------------------------------------------------


@dataclass(frozen=True)
class SiteModeration:
    site: str
    premoderation: bool
    flag_threshold: int
    # votes: the site's own choice on down votes; None: the service's [votes] downvotes.
    downvotes: bool | None = None
    # languages offered to readers, the site's own first; empty: every language.
    languages: list[str] = field(default_factory=list)


def site_moderation(site: Site, rules: ModerationSettings) -> SiteModeration:
    """The site's moderation switches as they apply now."""
    return SiteModeration(
        site=site.slug,
        premoderation=bool((site.settings or {}).get("premoderation")),
        flag_threshold=flag_threshold(site, rules),
        downvotes=(site.settings or {}).get("downvotes"),
        languages=reader_languages.offered(site.settings),
    )
