"""The signed form-render time (api/form_tokens.py)."""

from __future__ import annotations

from pydantic import Field

from comments_service.schemas.base import DateTimeOut, OutModel


class FormTokenOut(OutModel):
    token: str = Field(description="Send it back as form_token with the comment.")
    issued_at: DateTimeOut
