"""Readers who sign in (issue 21): their identities on a site, and the service tokens
that prove a signed-in reader on API calls.

An identity belongs to one site: a provider's subject signed in on two sites is two
identities (each site bans, lists and erases its own). Tokens are stored as SHA-256
hashes only; the reader holds the token itself.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from comments_service.extensions import db
from comments_service.models.core import MAX_EMAIL, MAX_NAME, MAX_URL, NEVER_REUSED_IDS, UTCDateTime

MAX_PROVIDER = 32
MAX_SUBJECT = 255


class Identity(db.Model):
    """A reader known to a site through a way in (an OpenID provider, GitHub, an email
    link, the site's own accounts)."""

    __tablename__ = "identities"
    __table_args__ = (
        UniqueConstraint("site_id", "provider", "subject"),
        # "Is this name held by a signed-in reader?" (services/readers.py).
        Index("ix_identities_site_name_key", "site_id", "name_key"),
        NEVER_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    # The site's name for the way in ("github", "google", "email", "sso").
    provider: Mapped[str] = mapped_column(String(MAX_PROVIDER))
    # The provider's stable id for the reader (OIDC "sub", GitHub's numeric id, the
    # normalized address for an email link, the site's account id for SSO).
    subject: Mapped[str] = mapped_column(String(MAX_SUBJECT))
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    # name, case-folded: anonymous posters may not take it (services/posting.py).
    name_key: Mapped[str] = mapped_column(String(MAX_NAME))
    avatar_url: Mapped[str | None] = mapped_column(String(MAX_URL))
    # Only an address the provider says it verified; never shown to other readers.
    email: Mapped[str | None] = mapped_column(String(MAX_EMAIL))
    is_banned: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_sign_in_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReaderToken(db.Model):
    """A service token handed to a signed-in reader; sent as Authorization: Bearer."""

    __tablename__ = "reader_tokens"
    __table_args__ = (NEVER_REUSED_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    identity_id: Mapped[int] = mapped_column(
        ForeignKey("identities.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set by signing out, or for every token of an identity a moderator bans.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SignInLinkUse(db.Model):
    """An emailed sign-in link that was used: each works once (its nonce is kept)."""

    __tablename__ = "sign_in_link_uses"

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime())
