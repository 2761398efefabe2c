"""Counts per passage of an article (api/passages.py)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from comments_service.schemas.base import StrictModel
from comments_service.schemas.comments import AnchorOut, anchor_dict
from comments_service.services.passages import PassageCounts


class PassagesQuery(StrictModel):
    article: str = Field(min_length=1, description="The article's key on this site.")


class PassageCountsOut(StrictModel):
    counts: dict[str, int] = Field(description="Visible comments (with their visible "
                                   "replies) per passage key; passages with none left out.")
    anchors: dict[str, AnchorOut] = Field(description="Per passage key, the anchor of its "
                                          "first comment: to place a passage by its text.")


def passage_counts_dict(passages: PassageCounts) -> dict[str, Any]:
    return {"counts": passages.counts,
            "anchors": {key: anchor_dict(a) for key, a in passages.anchors.items()}}
