"""Signing in by an emailed link: single use, signed, short-lived, sent through the outbox.

The popup asks for an address (and the name to show); ``request_link`` writes one outbox
row, and the worker mails a link signed with itsdangerous (notify/tokens.py, SignInClaim)
that works for [readers] email_link_seconds. Opening it shows a button; pressing it (a
POST: a mail scanner following the link signs nobody in) calls ``use_link``, which
records the link's nonce so that it works once, and returns the profile: the address is
verified by the mail having reached it. Services flush; callers commit.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from comments_service.config import CommentSettings, ReaderSettings
from comments_service.errors import LinkUsed, ValidationFailed
from comments_service.models import OutboxKind, SignInLinkUse, Site
from comments_service.notify.tokens import SignInClaim
from comments_service.services import outbox
from comments_service.services.drafts import clean_email
from comments_service.services.outbox import NewMessage
from comments_service.services.readers import Profile
from comments_service.services.sign_in import Way

MAX_NAME_CHARS = 100


def request_link(
    session: Session, site: Site, way: Way, email: str | None, name: str | None, origin: str,
    comments: CommentSettings, rules: ReaderSettings, now: datetime, language: str | None = None,
) -> None:
    """Queue the mail carrying a sign-in link to ``email``, written in ``language`` (the
    popup's; else the site's). Raises ValidationFailed for a missing or malformed address
    or an over-long name."""
    address, problem = clean_email(email, comments)
    if address is None:
        raise ValidationFailed(fields={"email": problem or "Give your email address."})
    shown = " ".join((name or "").split()) or address.split("@")[0]
    if len(shown) > MAX_NAME_CHARS:
        raise ValidationFailed(fields={"name": f"Keep it under {MAX_NAME_CHARS} characters."})
    nonce = secrets.token_hex(16)
    outbox.add(session, [NewMessage(
        kind=OutboxKind.SIGN_IN.value,
        dedupe_key=f"sign-in:{nonce}",
        recipient=address.lower(),
        payload={"site": site.slug, "way": way.key, "name": shown, "origin": origin,
                 "nonce": nonce, "lang": language,
                 "expires_at": (now + timedelta(seconds=rules.email_link_seconds)).isoformat()},
    )], now)


def use_link(session: Session, site: Site, claim: SignInClaim, now: datetime) -> Profile:
    """The profile a sign-in link vouches for, once. Raises LinkUsed the second time."""
    try:
        with session.begin_nested():
            session.add(SignInLinkUse(nonce=claim.nonce, used_at=now))
    except IntegrityError as exc:
        raise LinkUsed("This sign-in link was used already: ask for a new one.") from exc
    return Profile(provider=claim.way, subject=claim.email.lower(), name=claim.name,
                   email=claim.email.lower())
