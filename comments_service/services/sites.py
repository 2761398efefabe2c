"""Sites: the tenants of the service, and which page origins may write to them."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, make_transient_to_detached

from comments_service.errors import SiteNotFound, ValidationFailed
from comments_service.models import Site

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


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
            raise ValidationFailed(fields={"origins": f"not an http(s) origin: {origin!r}"})
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


def is_origin_allowed(site: Site, origin: str) -> bool:
    """Whether a page at this origin may write to the site."""
    normalized = normalize_origin(origin)
    return normalized is not None and normalized in (site.allowed_origins or [])
