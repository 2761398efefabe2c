"""Live updates (issue 9): the events query and the long-poll answer."""

from __future__ import annotations

from pydantic import BaseModel, Field

from comments_service.config import MAX_ROW_ID
from comments_service.schemas.base import StrictModel


class LiveQuery(StrictModel):
    article: str = Field(min_length=1, description="The article's key on this site.")
    since: int | None = Field(
        None, ge=0, le=MAX_ROW_ID,
        description="The last event id seen (as Last-Event-ID): comments of the thread made "
        "visible after it are sent first. Without it the stream starts from now.",
    )
    poll: bool = Field(
        False, description="Long poll instead of a stream: answer at once when there is "
        "news after `since`, else after live.poll_seconds with no events.",
    )


class LiveEventOut(BaseModel):
    """A comment became visible. The SSE stream sends it as `event: comment`."""

    thread_id: int
    comment_id: int
    parent_id: int | None
    created_at: str


class LiveEventsOut(BaseModel):
    """A long poll's answer; `last_event_id` is the `since` of the next poll."""

    events: list[LiveEventOut]
    last_event_id: int
