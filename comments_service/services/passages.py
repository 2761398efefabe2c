"""Passages (issue 9): comments anchored to a passage of the article, and their counts.

An anchor names a passage (the page's ``data-comments-passage`` id, or an
automatic paragraph key) and quotes the selected text with a little context
before and after it, in the shape of the W3C Web Annotation TextQuoteSelector
(exact, prefix, suffix). The widget finds the quote again by that text, so it
survives small edits to the article; the service stores and counts, it never
renders any of it as HTML.

Only top-level comments carry an anchor: a reply belongs to its root's passage.
A passage's count is what the public sees of its discussion: its visible
top-level comments plus their visible replies (the root's kept reply_count), so
it follows every moderation action that moves those counters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from comments_service.config import PassageSettings
from comments_service.models import (
    MAX_PASSAGE_CONTEXT,
    MAX_PASSAGE_KEY,
    MAX_PASSAGE_QUOTE,
    Comment,
    CommentStatus,
    PassageAnchor,
)

# A passage key is an id a page author writes into an attribute: keep it boring.
PASSAGE_KEY = re.compile(r"[A-Za-z0-9_.:-]+")
# C0 controls and DEL except tab and newline, which a selection may span.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class AnchorDraft:
    """An anchor as a reader's widget sent it: nothing here is trusted yet."""

    passage_key: str
    quote: str
    prefix: str = ""
    suffix: str = ""


@dataclass(frozen=True)
class Anchor:
    """A stored anchor: which passage, and the quote with its context."""

    passage_key: str
    quote: str
    prefix: str
    suffix: str


@dataclass(frozen=True)
class PassageCounts:
    """Visible comments per passage of a thread, and one anchor of each to place it by."""

    counts: dict[str, int]
    anchors: dict[str, Anchor]


def _plain(value: str) -> str:
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def clean_anchor(
    draft: AnchorDraft,
    rules: PassageSettings | None,
    *,
    is_reply: bool,
    fields: dict[str, str],
) -> Anchor | None:
    """The anchor with stray control characters removed, or None with errors in `fields`.

    Errors are keyed "anchor" (passages off, or on a reply) or "anchor.<field>":
    a passage key outside [A-Za-z0-9_.:-] or longer than passages.max_key_chars,
    an empty quote or one above passages.max_quote_chars, a prefix or suffix above
    passages.context_chars.
    """
    if rules is None or not rules.enabled:
        fields["anchor"] = "Comments on passages are turned off."
        return None
    if is_reply:
        fields["anchor"] = "A reply belongs to the passage of the comment it answers."
        return None
    errors: dict[str, str] = {}
    key = draft.passage_key.strip()
    if not PASSAGE_KEY.fullmatch(key):
        errors["anchor.passage_key"] = "Use letters, digits and - _ . : only."
    elif len(key) > rules.max_key_chars:
        errors["anchor.passage_key"] = f"Keep it under {rules.max_key_chars} characters."
    quote = _plain(draft.quote)
    if not quote.strip():
        errors["anchor.quote"] = "Select the text you comment on."
    elif len(quote) > rules.max_quote_chars:
        errors["anchor.quote"] = (
            f"Select at most {rules.max_quote_chars} characters ({len(quote)} now)."
        )
    prefix, suffix = _plain(draft.prefix), _plain(draft.suffix)
    for name, value in (("prefix", prefix), ("suffix", suffix)):
        if len(value) > rules.context_chars:
            errors[f"anchor.{name}"] = f"Keep it under {rules.context_chars} characters."
    if errors:
        fields.update(errors)
        return None
    return Anchor(passage_key=key, quote=quote, prefix=prefix, suffix=suffix)


def imported_anchor(data: object) -> Anchor | None:
    """An anchor read from an export file, or None when it is missing or unusable.

    Checked like a reader's (key charset, a non-blank quote, plain text) but
    against the columns' ceilings, not today's [passages] limits: what was
    accepted then is kept.
    """
    if not isinstance(data, dict):
        return None
    key, quote = data.get("passage_key"), data.get("quote")
    prefix, suffix = data.get("prefix") or "", data.get("suffix") or ""
    if not (isinstance(key, str) and isinstance(quote, str)):
        return None
    if not (isinstance(prefix, str) and isinstance(suffix, str)):
        return None
    key, quote = key.strip(), _plain(quote)
    if not PASSAGE_KEY.fullmatch(key) or len(key) > MAX_PASSAGE_KEY:
        return None
    if not quote.strip() or len(quote) > MAX_PASSAGE_QUOTE:
        return None
    prefix, suffix = _plain(prefix), _plain(suffix)
    if max(len(prefix), len(suffix)) > MAX_PASSAGE_CONTEXT:
        return None
    return Anchor(passage_key=key, quote=quote, prefix=prefix, suffix=suffix)


def attach_anchor(session: Session, comment: Comment, anchor: Anchor) -> None:
    """Store the anchor of a new top-level comment (flushed with the comment)."""
    session.add(
        PassageAnchor(
            comment_id=comment.id,
            thread_id=comment.thread_id,
            passage_key=anchor.passage_key,
            quote=anchor.quote,
            prefix=anchor.prefix,
            suffix=anchor.suffix,
        )
    )


def anchor_of(session: Session, comment: Comment) -> Anchor | None:
    """The anchor of a top-level comment, or None (replies have none of their own)."""
    if comment.depth != 0:
        return None
    row = session.get(PassageAnchor, comment.id)
    if row is None:
        return None
    return Anchor(row.passage_key, row.quote, row.prefix, row.suffix)


def count_passages(session: Session, thread_id: int | None) -> PassageCounts:
    """Visible comments (top-level and their replies) per passage key of a thread.

    Passages with nothing visible are left out. Two queries, bounded by the
    thread: the grouped counts (the (thread_id, passage_key) index joined to the
    thread's top-level comments), then for each passage
    the anchor of its first public comment, so the widget can place a passage
    whose automatic key no longer matches the page.
    """
    if thread_id is None:
        return PassageCounts(counts={}, anchors={})
    is_visible = case((Comment.status == CommentStatus.VISIBLE.value, 1), else_=0)
    rows = session.execute(
        select(
            PassageAnchor.passage_key,
            func.sum(is_visible + Comment.reply_count),
            func.min(PassageAnchor.comment_id),
        )
        .join(Comment, Comment.id == PassageAnchor.comment_id)
        .where(
            PassageAnchor.thread_id == thread_id,
            # Redundant with the join, but it lets the planner read only this thread's
            # top-level comments (ix_comments_top_by_time) instead of the whole table.
            Comment.thread_id == thread_id,
            Comment.depth == 0,
            (Comment.status == CommentStatus.VISIBLE.value) | (Comment.reply_count > 0),
        )
        .group_by(PassageAnchor.passage_key)
    ).all()
    counts = {key: int(total) for key, total, _first in rows if total}
    firsts: Sequence[int] = [first for key, _total, first in rows if key in counts]
    anchors: dict[str, Anchor] = {}
    if firsts:
        for row in session.execute(
            select(PassageAnchor).where(PassageAnchor.comment_id.in_(firsts))
        ).scalars():
            anchors[row.passage_key] = Anchor(row.passage_key, row.quote, row.prefix,
                                              row.suffix)
    return PassageCounts(counts=counts, anchors=anchors)
