"""Atom feeds of new comments (api/feeds.py)."""

from __future__ import annotations

from pydantic import Field

from comments_service.schemas.base import StrictModel


class FeedQuery(StrictModel):
    article: str = Field(min_length=1, description="The article's key on this site.")
