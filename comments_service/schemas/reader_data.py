"""A reader asking for their own data (api/reader_data.py)."""

from __future__ import annotations

from pydantic import Field

from comments_service.schemas.base import OutModel, StrictModel


class NewReaderDataRequest(StrictModel):
    """Ask for a link, by email, to every comment posted with this address on the site."""

    email: str = Field(description="The address the comments were posted with.")


class ReaderDataRequestOut(OutModel):
    message: str
