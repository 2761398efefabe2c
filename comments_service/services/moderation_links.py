"""The approve / hide links of a moderator notice: each works once, and is audited.

A link is a capability: whoever holds the signed token (mailed only to the
configured moderator addresses) may take that one action on that one comment
while the link is fresh. The action goes through moderation.moderate_comment, so
it is checked and audited like any moderator's; the audit names the notice it
came from. Using a link records its nonce in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from comments_service.config import ModerationSettings
from comments_service.errors import CommentNotFound, LinkUsed
from comments_service.models import Comment, ModerationLinkUse, Thread
from comments_service.services import moderation
from comments_service.services.moderation import ActionResult, CommentAction
from comments_service.services.moderators import Actor

LINK_ACTIONS = (CommentAction.APPROVE, CommentAction.HIDE)


def is_used(session: Session, nonce: str) -> bool:
    """Whether the link with this nonce was used already."""
    return session.get(ModerationLinkUse, nonce) is not None


def link_actor(site_id: int, outbox_id: int) -> Actor:
    """Who acts through a link: named for the notice that carried it."""
    return Actor(moderator_id=None, name=f"email link (notice {outbox_id})",
                 site_ids=frozenset({site_id}))


def use_link(
    session: Session,
    *,
    comment_id: int,
    action: CommentAction,
    outbox_id: int,
    nonce: str,
    rules: ModerationSettings,
    now: datetime,
) -> ActionResult:
    """Take the link's action once. Raises LinkUsed, CommentNotFound, ActionNotAllowed.

    The nonce is recorded before the action, in the same transaction: a refused
    action rolls back with it, so the link still works for a later try.
    """
    if action not in LINK_ACTIONS:
        raise ValueError(f"not a link action: {action}")
    if is_used(session, nonce):
        raise LinkUsed()
    site_id = session.execute(
        select(Thread.site_id).join(Comment, Comment.thread_id == Thread.id)
        .where(Comment.id == comment_id)
    ).scalar_one_or_none()
    if site_id is None:
        raise CommentNotFound()
    session.add(ModerationLinkUse(nonce=nonce, comment_id=comment_id, action=action.value,
                                  used_at=now))
    try:
        session.flush()
    except IntegrityError:  # the same link, used at the same moment in another request
        session.rollback()
        raise LinkUsed() from None
    return moderation.moderate_comment(session, link_actor(site_id, outbox_id), comment_id,
                                       action, None, rules, now)
