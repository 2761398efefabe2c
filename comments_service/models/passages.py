"""Passages (issue 9): inline feedback anchored to a passage of the article."""

from __future__ import annotations

from sqlalchemy import (
    ForeignKey,
    Index,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from comments_service.config import MAX_PASSAGE_CONTEXT, MAX_PASSAGE_KEY, MAX_PASSAGE_QUOTE
from comments_service.extensions import db

# MAX_PASSAGE_KEY, MAX_PASSAGE_QUOTE, MAX_PASSAGE_CONTEXT: the column sizes, in config/__init__.py.


class PassageAnchor(db.Model):
    """Where in the article a top-level comment belongs: a passage and a quote in it.

    The quote with a little text before and after it (the W3C Web Annotation
    TextQuoteSelector: exact, prefix, suffix) lets the widget find the place again
    after small edits to the article. Plain text, never rendered as HTML. Replies
    belong to their root's passage and have no row of their own; thread_id is
    copied from the comment so per-passage counts of a thread read one index.
    """

    __tablename__ = "passage_anchors"
    __table_args__ = (Index("ix_passage_anchors_thread_key", "thread_id", "passage_key"),)

    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    passage_key: Mapped[str] = mapped_column(String(MAX_PASSAGE_KEY))
    quote: Mapped[str] = mapped_column(String(MAX_PASSAGE_QUOTE))
    prefix: Mapped[str] = mapped_column(String(MAX_PASSAGE_CONTEXT), default="")
    suffix: Mapped[str] = mapped_column(String(MAX_PASSAGE_CONTEXT), default="")
