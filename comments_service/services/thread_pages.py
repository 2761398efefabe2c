"""What a read of a thread returns (services/threads.py): pages of comment nodes.

A node is what the public sees of a comment row: a placeholder (hidden or deleted but
kept for its replies) shows no author and no body. schemas/comments.py CommentOut
serializes a node by these names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from comments_service.services.passages import Anchor
from comments_service.services.thread_cursors import Sort

PublicStatus = Literal["visible", "deleted", "pending"]


@dataclass(frozen=True)
class ThreadSummary:
    id: int
    article_key: str
    title: str | None
    url: str | None
    is_locked: bool
    total_count: int
    visible_count: int
    version: int


@dataclass(slots=True)  # not frozen: built per comment read, and frozen costs ~3x
class Author:
    """Who wrote a comment, as the public sees it: never the email or the address."""

    name: str | None
    website: str | None
    avatar: str
    # readers (issue 21): written by a signed-in reader, their identity's id on the site
    # and their provider's avatar URL; False / None when anonymous.
    signed_in: bool = False
    identity: int | None = None
    picture: str | None = None


@dataclass
class CommentNode:
    """A comment as the public sees it: a placeholder (hidden or deleted, kept for its
    replies) has status "deleted", no author and an empty body; "pending" only in the
    author's own response to a post held by pre-moderation."""

    id: int
    parent_id: int | None
    reply_to_id: int | None
    root_id: int
    depth: int
    path: str
    status: PublicStatus
    author: Author | None
    body_html: str
    score: int
    created_at: datetime
    edited_at: datetime | None
    replies: list[CommentNode] = field(default_factory=list)
    replies_total: int = 0
    replies_cursor: str | None = None
    # A pinned top-level comment sorts first on every sort.
    is_pinned: bool = False
    # passages (issue 9): the passage a top-level comment is about, if any.
    anchor: Anchor | None = None
    # votes (services/votes.py): counters, and the rank the top sort pages by.
    upvotes: int = 0
    downvotes: int = 0
    rank: int = 0

    @property
    def is_placeholder(self) -> bool:
        return self.status == "deleted"


@dataclass(frozen=True)
class ThreadPage:
    thread: ThreadSummary | None
    sort: Sort
    comments: list[CommentNode]
    next_cursor: str | None


@dataclass(frozen=True)
class RepliesPage:
    root_id: int
    comments: list[CommentNode]
    next_cursor: str | None
