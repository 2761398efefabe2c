"""Counts per passage of an article (api/passages.py)."""

from __future__ import annotations

from pydantic import Field

from comments_service.schemas.base import OutModel, StrictModel
from comments_service.schemas.comments import AnchorOut
from comments_service.schemas.serialize import compile_dump
from comments_service.services.passages import PassageCounts


class PassagesQuery(StrictModel):
    article: str = Field(min_length=1, description="The article's key on this site.")


class PassageCountsOut(OutModel):
    counts: dict[str, int] = Field(description="Visible comments (with their visible "
                                   "replies) per passage key; passages with none left out.")
    anchors: dict[str, AnchorOut] = Field(description="Per passage key, the anchor of its "
                                          "first comment: to place a passage by its text.")


# The passages route's dump, compiled from the model above (schemas/serialize.py).
dump_passage_counts = compile_dump(PassageCountsOut, PassageCounts)
