"""Votes on comments (api/votes.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictInt

from comments_service.schemas.base import OutModel, RowId, StrictModel


class NewVote(StrictModel):
    """A reader's vote on a comment; the same vote again changes nothing."""

    # A strict int, then checked by services/votes.py: Literal[1, -1] would take true as 1.
    value: StrictInt = Field(description="1: up; -1: down (only where the site takes "
                             "down votes).", json_schema_extra={"enum": [1, -1]})


class VoteOut(OutModel):
    comment_id: int
    upvotes: int
    downvotes: int
    score: int = Field(description="upvotes - downvotes.")
    my_vote: Literal[1, 0, -1] = Field(description="The reader's own vote now (0: none).")


class MyVotesQuery(StrictModel):
    comment: list[RowId] = Field(min_length=1, description="Repeat for each comment id "
                                 "(at most votes.max_lookup_ids).")


class MyVotesOut(OutModel):
    votes: dict[str, Literal[1, -1]] = Field(description="The reader's vote by comment id; "
                                             "comments without one are left out.")
