"""Moderator accounts: who they are, which sites they moderate, how they sign in.

Passwords are hashed with Argon2id (argon2-cffi, cost from config [moderation]);
API bearer tokens are random and stored only as their SHA-256, so a copy of the
database signs no one in. An ``Actor`` is what the rest of the service sees of a
signed-in moderator: an id, a name for the audit log, and the sites they may touch.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from comments_service.config import ModerationSettings
from comments_service.errors import NotYourSite, SiteNotFound, ValidationFailed
from comments_service.models import Moderator, ModeratorToken, Site, moderator_sites

TOKEN_BYTES = 32


@dataclass(frozen=True)
class Actor:
    """Who performs a moderation action: a moderator, or the service itself (AUTO)."""

    moderator_id: int | None
    name: str
    site_ids: frozenset[int]

    def require_site(self, site_id: int) -> None:
        """Raises NotYourSite unless this actor moderates the site."""
        if site_id not in self.site_ids:
            raise NotYourSite()


AUTO = Actor(moderator_id=None, name="auto", site_ids=frozenset())
"""The service acting on its own rules (the flag threshold)."""


@dataclass(frozen=True)
class ModeratorSummary:
    email: str
    is_active: bool
    site_slugs: tuple[str, ...]


def make_hasher(settings: ModerationSettings) -> PasswordHasher:
    """An Argon2id hasher with the configured cost."""
    return PasswordHasher(
        time_cost=settings.password_time_cost,
        memory_cost=settings.password_memory_kib,
        parallelism=settings.password_parallelism,
    )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_email(email: str) -> str:
    """The login name: a valid address, lowercased. Raises ValidationFailed."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationFailed(fields={"email": str(exc)}) from None


def _check_password(password: str, settings: ModerationSettings) -> None:
    if len(password) < settings.min_password_chars:
        raise ValidationFailed(
            fields={"password": f"Use at least {settings.min_password_chars} characters."}
        )


def _site_ids(session: Session, slugs: tuple[str, ...] | list[str]) -> list[int]:
    wanted = list(dict.fromkeys(slugs))
    rows = session.execute(select(Site.slug, Site.id).where(Site.slug.in_(wanted))).all()
    found = dict(rows)
    missing = [slug for slug in wanted if slug not in found]
    if missing:
        raise ValidationFailed(fields={"site": f"no such site: {', '.join(missing)}"})
    return [found[slug] for slug in wanted]


def create_moderator(
    session: Session,
    email: str,
    password: str,
    site_slugs: list[str],
    settings: ModerationSettings,
    now: datetime,
) -> Moderator:
    """Add a moderator of the given sites.

    Raises ValidationFailed for a bad email, a short password, no or unknown
    sites, or an email that already has an account.
    """
    email = normalize_email(email)
    _check_password(password, settings)
    if not site_slugs:
        raise ValidationFailed(fields={"site": "give at least one site"})
    site_ids = _site_ids(session, site_slugs)
    moderator = Moderator(
        email=email,
        password_hash=make_hasher(settings).hash(password),
        is_active=True,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(moderator)
    except IntegrityError:
        raise ValidationFailed(fields={"email": "a moderator with this email exists"}) from None
    session.execute(
        insert(moderator_sites),
        [{"moderator_id": moderator.id, "site_id": site_id} for site_id in site_ids],
    )
    session.flush()
    return moderator


def _by_email(session: Session, email: str) -> Moderator:
    moderator = session.execute(
        select(Moderator).where(Moderator.email == normalize_email(email))
    ).scalar_one_or_none()
    if moderator is None:
        raise ValidationFailed(fields={"email": "no moderator has this email"})
    return moderator


def set_password(
    session: Session, email: str, password: str, settings: ModerationSettings
) -> None:
    """Replace a moderator's password. Raises ValidationFailed."""
    moderator = _by_email(session, email)
    _check_password(password, settings)
    moderator.password_hash = make_hasher(settings).hash(password)
    session.flush()


def mint_token(session: Session, email: str, now: datetime) -> str:
    """A new API bearer token for the moderator; only its hash is kept, so show it once.

    Raises ValidationFailed for an unknown email.
    """
    moderator = _by_email(session, email)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(ModeratorToken(moderator_id=moderator.id, token_hash=token_hash(token),
                               created_at=now))
    session.flush()
    return token


def revoke_tokens(session: Session, email: str) -> int:
    """Delete every API token of the moderator; returns how many. Raises ValidationFailed."""
    moderator = _by_email(session, email)
    result = session.execute(
        delete(ModeratorToken).where(ModeratorToken.moderator_id == moderator.id)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def load_actor(session: Session, moderator_id: int) -> Actor | None:
    """The active moderator with this id as an Actor, or None. Two small queries."""
    row = session.execute(
        select(Moderator.id, Moderator.email).where(
            Moderator.id == moderator_id, Moderator.is_active.is_(True)
        )
    ).one_or_none()
    if row is None:
        return None
    site_ids = session.execute(
        select(moderator_sites.c.site_id).where(moderator_sites.c.moderator_id == row.id)
    ).scalars()
    return Actor(moderator_id=row.id, name=row.email, site_ids=frozenset(site_ids))


# A real Argon2id hash of a random password: verifying against it when the email
# is unknown costs the same as a real check, so timing does not tell which
# emails have accounts.
_DUMMY_PASSWORD = secrets.token_urlsafe(16)
_dummy_hashes: dict[tuple[int, int, int], str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = hasher.hash(_DUMMY_PASSWORD)
    return _dummy_hashes[key]


def authenticate_password(
    session: Session, email: str, password: str, settings: ModerationSettings, now: datetime
) -> Actor | None:
    """The active moderator with this email and password, or None.

    Rehashes the password when the configured cost has changed since it was set.
    """
    hasher = make_hasher(settings)
    try:
        email = normalize_email(email)
    except ValidationFailed:
        email = ""
    moderator = session.execute(
        select(Moderator).where(Moderator.email == email, Moderator.is_active.is_(True))
    ).scalar_one_or_none()
    stored = moderator.password_hash if moderator is not None else _dummy_hash(hasher)
    try:
        hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if moderator is None:
        return None
    if hasher.check_needs_rehash(stored):
        moderator.password_hash = hasher.hash(password)
    moderator.last_login_at = now
    session.flush()
    return load_actor(session, moderator.id)


def authenticate_token(session: Session, token: str) -> Actor | None:
    """The active moderator owning this API token, or None."""
    if not token or len(token) > 256:
        return None
    moderator_id = session.execute(
        select(ModeratorToken.moderator_id).where(ModeratorToken.token_hash == token_hash(token))
    ).scalar_one_or_none()
    return load_actor(session, moderator_id) if moderator_id is not None else None


def list_moderators(session: Session) -> list[ModeratorSummary]:
    """Every moderator with the slugs of their sites, by email. Two queries."""
    moderators = session.execute(
        select(Moderator.id, Moderator.email, Moderator.is_active).order_by(Moderator.email)
    ).all()
    slugs: dict[int, list[str]] = {}
    for moderator_id, slug in session.execute(
        select(moderator_sites.c.moderator_id, Site.slug)
        .join(Site, Site.id == moderator_sites.c.site_id)
        .order_by(Site.slug)
    ):
        slugs.setdefault(moderator_id, []).append(slug)
    return [
        ModeratorSummary(email=m.email, is_active=m.is_active,
                         site_slugs=tuple(slugs.get(m.id, [])))
        for m in moderators
    ]


def scope(session: Session, actor: Actor, slug: str | None) -> frozenset[int]:
    """The ids of the actor's sites, or of the one named. Raises SiteNotFound, NotYourSite."""
    if not slug:
        return actor.site_ids
    site_id = session.execute(select(Site.id).where(Site.slug == slug)).scalar_one_or_none()
    if site_id is None:
        raise SiteNotFound()
    actor.require_site(site_id)
    return frozenset({site_id})


def site_slugs(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """(id, slug) of the actor's sites, by slug."""
    if not actor.site_ids:
        return []
    return [
        (row.id, row.slug)
        for row in session.execute(
            select(Site.id, Site.slug).where(Site.id.in_(actor.site_ids)).order_by(Site.slug)
        )
    ]
