"""The signed form-render time (api/form_tokens.py)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from comments_service.schemas.base import StrictModel


class FormTokenOut(StrictModel):
    token: str = Field(description="Send it back as form_token with the comment.")
    issued_at: datetime
