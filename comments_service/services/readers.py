"""Signed-in readers: identities on a site, and the service tokens that prove one.

A way in (services/sign_in_flows.py, sso.py, email links) ends in ``sign_in`` with the
provider's ``Profile``: the identity is created or refreshed and a new token issued.
The token is random (``rdr_`` + 43 URL-safe characters), handed to the reader once and
stored as its SHA-256 hash; it expires after [readers] token_hours, and is revoked when
the reader signs out or a moderator bans the identity. Services flush; callers commit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from comments_service.config import ReaderSettings
from comments_service.errors import (
    Banned,
    IdentityNotFound,
    ReaderTokenInvalid,
    SignInRequired,
    ValidationFailed,
)
from comments_service.models import (
    MAX_EMAIL,
    MAX_NAME,
    MAX_URL,
    Comment,
    Identity,
    NotifyAddress,
    ReaderToken,
    SignInLinkUse,
    Site,
)
from comments_service.models.identities import MAX_SUBJECT
from comments_service.services import audit
from comments_service.services import sign_in as site_sign_in
from comments_service.services.drafts import CommentDraft
from comments_service.services.moderators import Actor
from comments_service.services.notifications import address_hash

TOKEN_PREFIX = "rdr_"  # noqa: S105 - a prefix, not a secret
MAX_TOKEN_CHARS = 256


@dataclass(frozen=True)
class Profile:
    """Who a way in says the reader is. ``email`` only when the provider verified it."""

    provider: str
    subject: str
    name: str
    avatar_url: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Reader:
    """A signed-in reader on this request."""

    identity_id: int
    site_id: int
    provider: str
    name: str
    avatar_url: str | None
    email: str | None


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime
    reader: Reader


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_reader_token(token: str) -> bool:
    """Whether a bearer token is a reader's (not a moderator's API token)."""
    return token.startswith(TOKEN_PREFIX)


def name_key(name: str) -> str:
    return name.strip().casefold()[:MAX_NAME]


def _reader(identity: Identity) -> Reader:
    return Reader(identity_id=identity.id, site_id=identity.site_id,
                  provider=identity.provider, name=identity.name,
                  avatar_url=identity.avatar_url, email=identity.email)


def _clean_profile(profile: Profile) -> Profile:
    name = " ".join(profile.name.split())[:MAX_NAME] or "Reader"
    avatar = profile.avatar_url if profile.avatar_url and len(profile.avatar_url) <= MAX_URL \
        and profile.avatar_url.startswith("https://") else None
    email = profile.email.strip().lower() if profile.email else None
    if email is not None and (len(email) > MAX_EMAIL or "@" not in email):
        email = None
    return Profile(provider=profile.provider, subject=profile.subject[:MAX_SUBJECT],
                   name=name, avatar_url=avatar, email=email)


def sign_in(
    session: Session, site: Site, profile: Profile, rules: ReaderSettings, now: datetime
) -> IssuedToken:
    """Create or refresh the identity ``profile`` describes and issue it a new token.

    Name, avatar and verified email follow the provider at every sign-in. Raises Banned
    for an identity a moderator banned.
    """
    clean = _clean_profile(profile)
    identity = session.execute(
        select(Identity).where(Identity.site_id == site.id,
                               Identity.provider == clean.provider,
                               Identity.subject == clean.subject)
    ).scalar_one_or_none()
    if identity is None:
        identity = Identity(site_id=site.id, provider=clean.provider, subject=clean.subject,
                            is_banned=False, created_at=now)
        session.add(identity)
    elif identity.is_banned:
        raise Banned()
    identity.name = clean.name
    identity.name_key = name_key(clean.name)
    identity.avatar_url = clean.avatar_url
    identity.email = clean.email
    identity.last_sign_in_at = now
    session.flush()
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = now + timedelta(hours=rules.token_hours)
    session.add(ReaderToken(identity_id=identity.id, token_hash=token_hash(token),
                            created_at=now, expires_at=expires_at, revoked_at=None))
    session.flush()
    return IssuedToken(token=token, expires_at=expires_at, reader=_reader(identity))


def authenticate(session: Session, site: Site, token: str, now: datetime) -> Reader:
    """The reader a bearer token proves, on this site.

    Raises ReaderTokenInvalid for a token that is unknown, altered, expired, revoked
    or issued on another site, and Banned when its identity is banned.
    """
    if not is_reader_token(token) or len(token) > MAX_TOKEN_CHARS:
        raise ReaderTokenInvalid()
    wanted = token_hash(token)
    row = session.execute(
        select(ReaderToken, Identity)
        .join(Identity, Identity.id == ReaderToken.identity_id)
        .where(ReaderToken.token_hash == wanted)
    ).one_or_none()
    if row is None or not hmac.compare_digest(row[0].token_hash, wanted):
        raise ReaderTokenInvalid()
    stored, identity = row
    if stored.revoked_at is not None or stored.expires_at <= now:
        raise ReaderTokenInvalid()
    if identity.site_id != site.id:
        raise ReaderTokenInvalid("This sign-in is for another site. Sign in again here.")
    if identity.is_banned:
        raise Banned()
    return _reader(identity)


def sign_out(session: Session, site: Site, token: str, now: datetime) -> None:
    """Revoke the token (signing out on this device). Raises ReaderTokenInvalid for a
    token that no longer works."""
    authenticate(session, site, token, now)
    session.execute(update(ReaderToken).where(ReaderToken.token_hash == token_hash(token))
                    .values(revoked_at=now))


def name_is_held(session: Session, site: Site, name: str) -> bool:
    """Whether a signed-in reader of this site goes by ``name`` (case-insensitively)."""
    key = name_key(name)
    return key != "" and session.execute(
        select(func.count()).select_from(Identity)
        .where(Identity.site_id == site.id, Identity.name_key == key)
    ).scalar_one() > 0


def draft_for(
    session: Session, site: Site, draft: CommentDraft, reader: Reader | None
) -> CommentDraft:
    """The draft under the name a signed-in reader has (their identity's name and verified
    email); an anonymous draft as it is, once the site's sign-in rules allow it.

    Raises SignInRequired on a site that takes signed-in readers only, and
    ValidationFailed for an anonymous name that a signed-in reader of the site holds
    (asked only on sites that offer sign-in: one query).
    """
    if reader is not None:
        return replace(draft, author_name=reader.name,
                       author_email=reader.email or draft.author_email)
    if site_sign_in.requires_sign_in(site):
        raise SignInRequired()
    if not site_sign_in.is_enabled(site):
        return draft
    if draft.author_name and name_is_held(session, site, draft.author_name):
        raise ValidationFailed(fields={"author_name": (
            "A signed-in reader goes by this name. Sign in, or choose another name.")})
    return draft


def has_verified(reader: Reader | None, email: str | None) -> bool:
    """Whether ``email`` is the address the reader's provider verified (so notifications
    need no confirmation mail)."""
    return (reader is not None and reader.email is not None and email is not None
            and reader.email.lower() == email.lower())


def confirm_verified(session: Session, email: str | None, secret: str, now: datetime) -> None:
    """Record the address as confirmed for notifications (services/notifications.py): its
    owner's provider verified it, so no confirmation mail is needed. Call only when
    ``has_verified`` holds for the reader asking for notifications."""
    if email is None:
        return
    hashed = address_hash(email, secret)
    consent = session.execute(
        select(NotifyAddress).where(NotifyAddress.address_hash == hashed)).scalar()
    if consent is None:
        session.add(NotifyAddress(address_hash=hashed, created_at=now, confirmed_at=now))
    elif consent.confirmed_at is None:
        consent.confirmed_at = now
    session.flush()


def purge_expired(session: Session, now: datetime, link_seconds: int) -> int:
    """Delete tokens past their expiry and the used-link records of links that no longer
    work anyway; returns how many rows went. Called by the outbox worker's purge."""
    tokens = session.execute(delete(ReaderToken).where(ReaderToken.expires_at < now)).rowcount
    links = session.execute(delete(SignInLinkUse).where(
        SignInLinkUse.used_at < now - timedelta(seconds=link_seconds))).rowcount
    return int(tokens or 0) + int(links or 0)


def _identity(session: Session, site: Site, identity_id: int) -> Identity:
    identity = session.get(Identity, identity_id)
    if identity is None or identity.site_id != site.id:
        raise IdentityNotFound()
    return identity


def set_banned(
    session: Session, actor: Actor, site: Site, identity_id: int, is_banned: bool,
    now: datetime, note: str | None = None,
) -> Identity:
    """Ban (every token revoked at once) or unban a signed-in reader; audited as
    "ban_identity" / "unban_identity" naming the identity and its provider.

    Raises NotYourSite, IdentityNotFound.
    """
    actor.require_site(site.id)
    identity = _identity(session, site, identity_id)
    identity.is_banned = is_banned
    if is_banned:
        session.execute(update(ReaderToken)
                        .where(ReaderToken.identity_id == identity.id,
                               ReaderToken.revoked_at.is_(None))
                        .values(revoked_at=now))
    words = f"identity {identity.id} ({identity.provider}: {identity.name})"
    if note:
        words += f": {note}"
    audit.record(session, actor, site.id, "ban_identity" if is_banned else "unban_identity",
                 now, note=words)
    session.flush()
    return identity


def describe(session: Session, identity_ids: set[int]) -> dict[int, tuple[str, str]]:
    """(provider, name) of each identity, for the moderation queue; one query."""
    if not identity_ids:
        return {}
    rows = session.execute(select(Identity.id, Identity.provider, Identity.name)
                           .where(Identity.id.in_(identity_ids)))
    return {ident: (provider, name) for ident, provider, name in rows}


def erase(session: Session, site: Site, identity_id: int) -> int:
    """Erase a reader's identity: its tokens go with it, its comments lose the link and
    the avatar. Returns how many comments were unlinked. Raises IdentityNotFound."""
    identity = _identity(session, site, identity_id)
    unlinked = session.execute(
        update(Comment).where(Comment.identity_id == identity.id)
        .values(identity_id=None, author_picture=None)
    ).rowcount
    session.delete(identity)
    session.flush()
    return int(unlinked or 0)
