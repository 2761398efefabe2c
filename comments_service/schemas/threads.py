"""A page of an article's thread (api/threads.py)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from comments_service.config import (
    MAX_PASSAGE_KEY,
)
from comments_service.schemas.base import StrictModel
from comments_service.schemas.comments import CommentOut, comment_dict
from comments_service.services.threads import ThreadPage, ThreadSummary

SortOrder = Literal["oldest", "newest", "top"]


class ThreadQuery(StrictModel):
    article: str = Field(min_length=1)
    sort: SortOrder = "oldest"
    cursor: str | None = Field(None, description="next_cursor of the previous page.")
    limit: int | None = Field(None, ge=1, description="Top-level comments per page.")
    replies: int | None = Field(None, ge=0, description="Replies shown under each comment.")
    passage: str | None = Field(None, min_length=1, max_length=MAX_PASSAGE_KEY,
                                pattern=r"^[A-Za-z0-9_.:-]+$",
                                description="Only the comments on this passage key.")


class ThreadOut(StrictModel):
    article: str
    title: str | None
    url: str | None
    is_locked: bool
    total_count: int
    visible_count: int


class ThreadPageOut(StrictModel):
    thread: ThreadOut | None = Field(description="null until the article's first comment "
                                     "(or first subscription).")
    sort: SortOrder
    comments: list[CommentOut]
    next_cursor: str | None


def thread_dict(thread: ThreadSummary | None) -> dict[str, Any] | None:
    if thread is None:
        return None
    return {
        "article": thread.article_key,
        "title": thread.title,
        "url": thread.url,
        "is_locked": thread.is_locked,
        "total_count": thread.total_count,
        "visible_count": thread.visible_count,
    }


def thread_page_dict(page: ThreadPage) -> dict[str, Any]:
    return {
        "thread": thread_dict(page.thread),
        "sort": page.sort,
        "comments": [comment_dict(node) for node in page.comments],
        "next_cursor": page.next_cursor,
    }
