"""Votes on comments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from comments_service.extensions import db
from comments_service.models.core import (
    UTCDateTime,
)


class Vote(db.Model):
    """One reader's up (+1) or down (-1) vote on one comment (services/votes.py)."""

    __tablename__ = "votes"
    __table_args__ = (
        UniqueConstraint("comment_id", "voter_key"),
        CheckConstraint("value IN (1, -1)", name="value_known"),
        # A reader's own votes, looked up by the ids of the comments on their page.
        Index("ix_votes_voter_key", "voter_key", "comment_id"),
        # How many readers of one client address voted on a comment ([votes] per_address).
        Index("ix_votes_comment_address", "comment_id", "address_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    # HMAC-SHA256 (secret key) of the widget's X-Reader-Token: never the token itself.
    voter_key: Mapped[str] = mapped_column(String(64))
    # Keyed hash of the client's address (clients.rate_key): a cap per address, so
    # clearing localStorage does not buy unlimited votes.
    address_key: Mapped[str] = mapped_column(String(64), default="")
    value: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
