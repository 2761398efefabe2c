"""Sites: the tenants of the service, and which page origins may write to them."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, make_transient_to_detached

from comments_service.config import ModerationSettings, VoteSettings
from comments_service.errors import SiteNotFound, ValidationFailed
from comments_service.models import Site
from comments_service.services import audit, reader_languages
from comments_service.services.moderation import clean_note, flag_threshold
from comments_service.services.moderators import Actor
from comments_service.services.votes import downvotes_allowed

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST = re.compile(r"^[a-z0-9.-]+$")


def normalize_origin(origin: str) -> str | None:
    """scheme://host[:port] in canonical form, or None when it is not an http(s) origin."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    elif not _HOST.match(host):
        return None  # browsers send international names as punycode, never raw
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


# Built once: every write reads its site fresh.
_SITE_BY_SLUG = select(Site).where(Site.slug == bindparam("slug"))


def get_site(session: Session, slug: str) -> Site:
    """The site with this slug. Raises SiteNotFound."""
    site = session.execute(_SITE_BY_SLUG, {"slug": slug}).scalar_one_or_none()
    if site is None:
        raise SiteNotFound()
    return site


class SiteCache:
    """Sites by slug, reused by one process for a few seconds instead of read per request.

    Every API request names its site; reading that row cost a fifth of a revalidated
    thread page (profiled). A change to a site (its origins, say) reaches every process
    within ``ttl_s``. Each caller gets its own copy, attached to its session without a
    query, so a change made through it is flushed as usual and never leaks to others.
    """

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, dict[str, object]]] = {}

    def cached_id(self, slug: str) -> int | None:
        """The id of the site while its cached copy is fresh; None when a lookup is due."""
        with self._lock:
            entry = self._entries.get(slug)
        if entry is None or entry[0] <= self._clock():
            return None
        return entry[1]["id"]  # type: ignore[return-value]

    def get(self, session: Session, slug: str) -> Site:
        """The site with this slug. Raises SiteNotFound (never cached)."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(slug)
        if entry is not None and entry[0] > now:
            copy = Site(**entry[1])
            make_transient_to_detached(copy)
            return session.merge(copy, load=False)
        site = get_site(session, slug)
        if self.ttl_s > 0:
            state = {
                "id": site.id, "slug": site.slug, "name": site.name,
                "allowed_origins": list(site.allowed_origins or []),
                "settings": dict(site.settings or {}), "created_at": site.created_at,
            }
            with self._lock:
                self._entries[slug] = (now + self.ttl_s, state)
        return site


def _clean_origins(origins: Iterable[str]) -> list[str]:
    clean: list[str] = []
    for origin in origins:
        normalized = normalize_origin(origin)
        if normalized is None:
            raise ValidationFailed(fields={"origins": (
                f"not an http(s) origin: {origin!r}. Use scheme://host[:port] with no path, "
                "query or user name, e.g. https://blog.example")})
        if normalized not in clean:
            clean.append(normalized)
    return clean


def create_site(
    session: Session, slug: str, name: str, origins: Iterable[str], now: datetime
) -> Site:
    """Add a site. Raises ValidationFailed for a bad slug, a bad origin or a taken slug."""
    if not SLUG_PATTERN.match(slug):
        raise ValidationFailed(fields={"slug": "use 1-64 lowercase letters, digits, '-' or '_'"})
    clean = _clean_origins(origins)
    if session.execute(select(Site.id).where(Site.slug == slug)).first():
        raise ValidationFailed(fields={"slug": "a site with this slug exists"})
    site = Site(slug=slug, name=name or slug, allowed_origins=clean, settings={}, created_at=now)
    session.add(site)
    session.flush()
    return site


def set_origins(session: Session, site: Site, origins: Iterable[str]) -> Site:
    """Replace a site's allowed origins. Raises ValidationFailed for a bad origin."""
    site.allowed_origins = _clean_origins(origins)
    session.flush()
    return site


MAX_SITE_NAME = 200  # the column's length (models.Site.name)
MAX_FLAG_THRESHOLD = 1000


@dataclass(frozen=True)
class SiteChanges:
    """An edit of a site: None leaves that part as it is."""

    name: str | None = None
    origins: tuple[str, ...] | None = None
    premoderation: bool | None = None
    flag_threshold: int | None = None
    downvotes: bool | None = None
    # The languages offered to readers (services/reader_languages.py); () offers all.
    languages: tuple[str, ...] | None = None
    note: str | None = None


def console_actor(site: Site) -> Actor:
    """Whoever runs `comments-service` on the server: may edit this site; audited as 'cli'."""
    return Actor(moderator_id=None, name="cli", site_ids=frozenset({site.id}))


def _settings_changes(
    site: Site, changes: SiteChanges, rules: ModerationSettings, votes: VoteSettings
) -> tuple[dict[str, object], list[str]]:
    """The site's new settings and what changed in words.

    The one rule for every path (admin page, API, CLI): a switch is stored only when
    it differs from what applies now, so a site that never chose keeps following
    the service's defaults ([moderation] flag_threshold, [votes] downvotes).
    """
    threshold = changes.flag_threshold
    if threshold is not None and not 0 <= threshold <= MAX_FLAG_THRESHOLD:
        raise ValidationFailed(
            fields={"flag_threshold": f"Use 0 (never) to {MAX_FLAG_THRESHOLD}."})
    settings = dict(site.settings or {})
    words: list[str] = []
    wanted = changes.premoderation
    if wanted is not None and bool(settings.get("premoderation")) != wanted:
        settings["premoderation"] = wanted
        words.append(f"premoderation {'on' if wanted else 'off'}")
    if threshold is not None and flag_threshold(site, rules) != threshold:
        settings["flag_threshold"] = threshold
        words.append(f"flag_threshold {threshold}")
    wanted = changes.downvotes
    if wanted is not None and downvotes_allowed(site, votes) != wanted:
        settings["downvotes"] = wanted
        words.append(f"downvotes {'on' if wanted else 'off'}")
    if changes.languages is not None:
        chosen = reader_languages.clean_offered(changes.languages)
        if chosen != reader_languages.offered(settings):
            settings[reader_languages.SETTINGS_KEY] = chosen
            words.append(f"languages {' '.join(chosen) or 'all'}")
    return settings, words


def update_site(
    session: Session,
    actor: Actor,
    site: Site,
    changes: SiteChanges,
    *,
    rules: ModerationSettings,
    votes: VoteSettings,
    now: datetime,
) -> Site:
    """Change a site's name, allowed origins and moderation switches; audited.

    Everything is checked before anything changes; one audit entry names what
    changed (none when nothing did). Raises NotYourSite, and ValidationFailed for
    a blank or long name, a bad origin, a threshold outside 0..1000, a long note.
    """
    actor.require_site(site.id)
    note = clean_note(changes.note, rules)
    fields: dict[str, str] = {}
    name = changes.name.strip() if changes.name is not None else None
    if name is not None and not 1 <= len(name) <= MAX_SITE_NAME:
        fields["name"] = f"Give a name of 1 to {MAX_SITE_NAME} characters."
    if fields:
        raise ValidationFailed(fields=fields)
    origins = _clean_origins(changes.origins) if changes.origins is not None else None
    settings, switched = _settings_changes(site, changes, rules, votes)
    words: list[str] = []
    if name is not None and name != site.name:
        site.name = name
        words.append(f"name {name!r}")
    if origins is not None and origins != list(site.allowed_origins or []):
        site.allowed_origins = origins
        words.append(f"origins {' '.join(origins) or '-'}")
    words += switched
    if settings != (site.settings or {}):
        site.settings = settings  # a new dict, so the JSON column sees the change
    if words:
        session.flush()
        summary = "; ".join(words)
        audit.record(session, actor, site.id, "site_settings", now,
                     note=f"{summary} ({note})" if note else summary)
    return site


def is_origin_allowed(site: Site, origin: str) -> bool:
    """Whether a page at this origin may write to the site."""
    normalized = normalize_origin(origin)
    return normalized is not None and normalized in (site.allowed_origins or [])
