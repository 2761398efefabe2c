"""A reader asking for their own data (api/reader_data.py)."""

from __future__ import annotations

from pydantic import Field

from comments_service.schemas.base import OutModel, StrictModel


class NewReaderDataRequest(StrictModel):
    """Ask for a link, by email, to every comment posted with this address on the site."""

    email: str = Field(description="The address the comments were posted with.")
    lang: str | None = Field(
        None, max_length=35,
        description="The reader's language (the widget's, e.g. es, pt-BR, zh-Hant): the "
        "emails this asks for are written in it. One the service does not speak is "
        "ignored (the site's default language is used).")


class ReaderDataRequestOut(OutModel):
    message: str
