"""Readers' own data: their requests for a download or erasure link."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from comments_service.extensions import db
from comments_service.models.core import (
    MAX_EMAIL,
    NEVER_REUSED_IDS,
    UTCDateTime,
)


class ReaderDataRequest(db.Model):
    """A reader's request for a link to every comment they posted on one site.

    The link is mailed to the address (through the outbox) and works until
    expires_at; it carries this row's id and nonce, signed, so deleting the row
    or changing its nonce kills every link made for it. The address is kept only
    while the request lives (workers delete expired rows hourly).
    """

    __tablename__ = "reader_data_requests"
    __table_args__ = (Index("ix_reader_data_requests_expires_at", "expires_at"), NEVER_REUSED_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(MAX_EMAIL))
    # Keyed hash of the lower-cased address: finds this address's open request.
    address_hash: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the reader erased their comments through the link (it then stops working).
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The language the reader asked in: the link's mail and pages use it.
    language: Mapped[str | None] = mapped_column(String(16))
