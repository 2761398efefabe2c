"""A reader's flag on a comment (api/flags.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from comments_service.schemas.base import OutModel, StrictModel


class NewFlag(StrictModel):
    """A reader's report of a comment to the site's moderators."""

    # The document says what services/flags.py checks: "other" needs a text.
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "if": {"properties": {"reason": {"const": "other"}}, "required": ["reason"]},
        "then": {"required": ["text"],
                 "properties": {"text": {"type": "string", "pattern": r"\S"}}},
    })

    reason: Literal["spam", "abuse", "off_topic", "other"]
    text: str | None = Field(None, description="What is wrong; required for reason "
                             "\"other\" (moderation.max_flag_text_chars at most).")


class FlaggedOut(OutModel):
    flagged: bool
    comment_id: int
