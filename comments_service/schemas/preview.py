"""A body rendered as a post would store it, never stored (api/preview.py)."""

from __future__ import annotations

from pydantic import Field

from comments_service.schemas.base import OutModel, StrictModel


class PreviewIn(StrictModel):
    """A body to render as a post would store it; nothing is stored."""

    body: str = Field(description="The Markdown body, as it would be posted.")


class PreviewOut(OutModel):
    body_html: str = Field(description="The body rendered and sanitized exactly as a post "
                           "would store it (sanitize.py).")
