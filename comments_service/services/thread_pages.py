"""What a read of a thread returns (services/threads.py): pages of comment nodes.

A node carries what a comment row says; its properties say what the public sees of it
(a placeholder, hidden or deleted but kept for its replies, shows no author and no
body). schemas/comments.py CommentOut serializes a node by these names.
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


@dataclass(frozen=True, slots=True)
class Author:
    """Who wrote a comment, as the public sees it: never the email or the address."""

    name: str | None
    website: str | None
    avatar: str


@dataclass
class CommentNode:
    id: int
    parent_id: int | None
    reply_to_id: int | None
    root_id: int
    depth: int
    path: str
    is_placeholder: bool
    author_name: str | None
    author_website: str | None
    avatar: str
    body_html: str
    score: int
    created_at: datetime
    edited_at: datetime | None
    replies: list[CommentNode] = field(default_factory=list)
    replies_total: int = 0
    replies_cursor: str | None = None
    # A pinned top-level comment sorts first on every sort.
    is_pinned: bool = False
    # Only in the author's own response to a post held by pre-moderation.
    is_pending: bool = False
    # passages (issue 9): the passage a top-level comment is about, if any.
    anchor: Anchor | None = None
    # votes (services/votes.py): counters, and the rank the top sort pages by.
    upvotes: int = 0
    downvotes: int = 0
    rank: int = 0

    @property
    def status(self) -> PublicStatus:
        if self.is_placeholder:
            return "deleted"
        return "pending" if self.is_pending else "visible"

    @property
    def author(self) -> Author | None:
        if self.is_placeholder:
            return None
        return Author(self.author_name, self.author_website, self.avatar)

    @property
    def shown_html(self) -> str:
        """The body the public sees: a placeholder's stored body (a hidden comment's)
        is never shown."""
        return "" if self.is_placeholder else self.body_html


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
