"""Comment counts for many articles (api/counts.py)."""

from __future__ import annotations

from pydantic import Field

from comments_service.schemas.base import OutModel, StrictModel


class CountsQuery(StrictModel):
    article: list[str] = Field(min_length=1, description="Repeat for each article key.")


class CountsOut(OutModel):
    counts: dict[str, int]
