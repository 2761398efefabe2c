"""An author's own edits: change the body, or delete the comment, within the edit window.

The edit token returned once when the comment was posted (posting.py keeps only its
hash) proves authorship. Services flush; the caller commits.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from comments_service import sanitize
from comments_service.config import (
    CommentSettings,
    SpamSettings,
)
from comments_service.errors import (
    CommentGone,
    CommentNotFound,
    EditWindowClosed,
    InvalidEditToken,
    ValidationFailed,
)
from comments_service.events import NO_EVENTS, CommentChange, CommentEvent, EventSink
from comments_service.models import (
    Comment,
    CommentStatus,
    Site,
    Thread,
)
from comments_service.services import moderation, spam
from comments_service.services.drafts import clean_body
from comments_service.services.posting import token_hash


@dataclass(frozen=True)
class SignedInAuthor:
    """A signed-in reader claiming a comment, and how long their site lets them edit."""

    identity_id: int
    window_seconds: int


@dataclass(frozen=True)
class DeletedComment:
    id: int
    # Kept as an empty placeholder because it has replies, rather than removed from view.
    is_placeholder: bool
    # What the author asked for happened (schemas/comments.py DeletedOut says so).
    deleted: bool = True


def _authorized_comment(
    session: Session,
    site: Site,
    comment_id: int,
    token: str | None,
    rules: CommentSettings,
    now: datetime,
    signed_in: SignedInAuthor | None = None,
) -> tuple[Comment, Thread]:
    row = session.execute(
        select(Comment, Thread)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Comment.id == comment_id, Thread.site_id == site.id)
    ).one_or_none()
    if row is None:
        raise CommentNotFound()
    comment, thread = row
    if comment.status == CommentStatus.DELETED.value:
        raise CommentGone()
    # A signed-in author proves the comment theirs from any device, for their site's
    # window; anyone else by the edit token the post returned.
    if signed_in is not None and comment.identity_id == signed_in.identity_id:
        window = signed_in.window_seconds
    elif (
        not token
        or comment.edit_token_hash is None
        or not hmac.compare_digest(comment.edit_token_hash, token_hash(token))
    ):
        raise InvalidEditToken()
    else:
        window = rules.edit_window_seconds
    if now - comment.created_at > timedelta(seconds=window):
        raise EditWindowClosed()
    return comment, thread


def edit_comment(
    session: Session,
    site: Site,
    comment_id: int,
    token: str | None,
    body: str,
    rules: CommentSettings,
    now: datetime,
    *,
    spam_rules: SpamSettings | None = None,
    events: EventSink = NO_EVENTS,
    signed_in: SignedInAuthor | None = None,
) -> Comment:
    """Replace the body of the author's own comment within the edit window.

    With ``spam_rules``, a new body with too many links or a blocked word is
    refused. Raises CommentNotFound, InvalidEditToken, CommentGone,
    EditWindowClosed, ValidationFailed (empty or long body) and SpamRejected.
    ``signed_in``: the reader's own comments need no edit token.
    """
    comment, thread = _authorized_comment(session, site, comment_id, token, rules, now,
                                          signed_in)
    fields: dict[str, str] = {}
    clean = clean_body(body, rules, fields)
    if fields:
        raise ValidationFailed(fields=fields)
    body_html = sanitize.render(clean)
    if spam_rules is not None:
        spam.check_edit(clean, body_html, spam_rules)
    comment.body_markdown = clean
    comment.body_html = body_html
    comment.edited_at = now
    thread.version = Thread.version + 1
    session.flush()
    events.emit(session, CommentChange(CommentEvent.EDITED, comment, now, site_id=site.id,
                                       article_key=thread.article_key))
    return comment


def delete_comment(
    session: Session,
    site: Site,
    comment_id: int,
    token: str | None,
    rules: CommentSettings,
    now: datetime,
    events: EventSink = NO_EVENTS,
    signed_in: SignedInAuthor | None = None,
) -> DeletedComment:
    """Delete the author's own comment within the edit window.

    A comment with replies stays as an empty placeholder (its text and author
    erased) so the thread keeps its shape; one without replies is removed.
    Raises CommentNotFound, InvalidEditToken, CommentGone, EditWindowClosed.
    ``signed_in``: the reader's own comments need no edit token.
    """
    comment, _thread = _authorized_comment(session, site, comment_id, token, rules, now,
                                           signed_in)
    deleted = DeletedComment(id=comment.id, is_placeholder=comment.child_count > 0)
    # Counters move in services/moderation.py, the one home of status changes.
    if deleted.is_placeholder:
        moderation.change_status(session, comment, CommentStatus.DELETED,
                                 reason="deleted by its author", events=events, now=now)
        comment.body_markdown = ""
        comment.body_html = ""
        comment.author_name = None
        comment.author_email = None
        comment.author_website = None
        comment.edit_token_hash = None
        comment.identity_id = None
        comment.author_picture = None
        comment.edited_at = now
        comment.is_pinned = False
    else:
        moderation.remove_comment(session, comment, events=events, now=now)
    session.flush()
    return deleted
