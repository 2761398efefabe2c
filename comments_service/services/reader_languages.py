"""Which language a mail is written in, and the languages a site offers its readers.

A reader's mails use the language stored with their subscription or reader-data
request (the widget's, when they asked); without one, the site's default: the first
language it offers (``site.settings["languages"]``), else English. Moderators' notices
use the site's default. A site offering no list offers every language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from comments_service import languages
from comments_service.errors import ValidationFailed
from comments_service.models import Subscription

SETTINGS_KEY = "languages"


def offered(site_settings: Mapping[str, object] | None) -> list[str]:
    """The languages a site offers, in its order (empty: every language)."""
    stored = (site_settings or {}).get(SETTINGS_KEY)
    if not isinstance(stored, list):
        return []
    return [code for code in stored if code in languages.LANGUAGES]


def site_default(site_settings: Mapping[str, object] | None) -> str:
    """The site's own language: the first it offers, else the service's default."""
    return next(iter(offered(site_settings)), languages.DEFAULT)


def for_reader(stored: str | None, site_settings: Mapping[str, object] | None) -> str:
    """The language of a mail to a reader: theirs when supported, else the site's."""
    return languages.supported(stored) or site_default(site_settings)


def subscription_language(session: Session, thread_id: int, hashed: str) -> str | None:
    """The language stored with an address's subscription to a thread, if any."""
    return session.execute(
        select(Subscription.language).where(
            Subscription.thread_id == thread_id, Subscription.address_hash == hashed
        )
    ).scalar_one_or_none()


def clean_offered(codes: Iterable[str]) -> list[str]:
    """A site's language list as given (admin, API, CLI): each a supported code, spelt
    as the service spells it (de, pt-BR, zh-Hant), in order, no repeats. Raises
    ValidationFailed (languages) naming the ones it does not know."""
    cleaned: list[str] = []
    unknown: list[str] = []
    for raw in codes:
        code = raw.strip()
        if not code:
            continue
        known = next((c for c in languages.LANGUAGES if c.lower() == code.lower()), None)
        if known is None:
            unknown.append(code)
        elif known not in cleaned:
            cleaned.append(known)
    if unknown:
        raise ValidationFailed(fields={SETTINGS_KEY: (
            f"Unknown language code(s): {', '.join(unknown[:5])}. Use codes such as de, "
            f"pt-BR or zh-Hant ({len(languages.LANGUAGES)} are supported).")})
    return cleaned
