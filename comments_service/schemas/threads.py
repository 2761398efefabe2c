"""A page of an article's thread (api/threads.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field

from comments_service.config import (
    MAX_PASSAGE_KEY,
)
from comments_service.schemas.base import OutModel, StrictModel
from comments_service.schemas.comments import CommentOut
from comments_service.schemas.serialize import compile_dump
from comments_service.services.thread_pages import ThreadPage

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


class ThreadOut(OutModel):
    article: str = Field(validation_alias=AliasChoices("article", "article_key"))
    title: str | None
    url: str | None
    is_locked: bool
    total_count: int
    visible_count: int


class ThreadPageOut(OutModel):
    thread: ThreadOut | None = Field(description="null until the article's first comment "
                                     "(or first subscription).")
    sort: SortOrder
    comments: list[CommentOut]
    next_cursor: str | None


# The thread page's dump, compiled from the models above (schemas/serialize.py).
dump_thread_page = compile_dump(ThreadPageOut, ThreadPage)
