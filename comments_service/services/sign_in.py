"""A site's sign-in settings: whether readers may or must sign in, and the ways in.

Kept in ``site.settings["sign_in"]`` as ``{"mode": ..., "ways": [...],
"edit_window_seconds": ...}``; secrets (an OAuth client secret, the SSO signing key)
in ``site.settings["sign_in_secrets"]`` by way key, written by moderators and never
read back out: the moderation API and the admin show only whether one is set. A
secret in the environment, ``COMMENTS_SITE_<SLUG>_<WAY>_SECRET`` (``secret_env_name``),
wins over a stored one, so an operator can keep every secret out of the database.

Modes: ``anonymous`` (the default: today's behaviour, no sign-in offered),
``offered`` (readers may sign in or post as before), ``required`` (only signed-in
readers post).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from comments_service.config import ReaderSettings
from comments_service.errors import SignInWayNotFound, ValidationFailed
from comments_service.models import Site
from comments_service.services import audit
from comments_service.services.moderators import Actor

SETTINGS_KEY = "sign_in"
SECRETS_KEY = "sign_in_secrets"
MODES = ("anonymous", "offered", "required")
# oidc: any OpenID Connect provider by issuer; github: GitHub's OAuth 2 apps;
# email: a single-use link sent through the outbox; sso: the site's own accounts.
KINDS = ("oidc", "github", "email", "sso")
# Kinds whose secret is needed before a reader can use them.
NEEDS_SECRET = frozenset({"github", "sso"})
WAY_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
MAX_LABEL = 60
MAX_CLIENT_ID = 255
MAX_ISSUER = 2048
MAX_SECRET = 1024
MAX_WAYS = 8
MAX_EDIT_WINDOW = 366 * 86400
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class Way:
    """One way in that a site offers."""

    key: str
    kind: str
    label: str
    client_id: str = ""
    issuer: str = ""


@dataclass(frozen=True)
class SignInConfig:
    mode: str
    ways: tuple[Way, ...]
    # None: the service's [readers] edit_window_seconds.
    edit_window_seconds: int | None


ANONYMOUS = SignInConfig(mode="anonymous", ways=(), edit_window_seconds=None)


def config_of(site: Site) -> SignInConfig:
    """The site's sign-in settings as stored (ANONYMOUS when it never chose)."""
    raw = (site.settings or {}).get(SETTINGS_KEY)
    if not isinstance(raw, dict):
        return ANONYMOUS
    ways = tuple(
        Way(key=w["key"], kind=w["kind"], label=w.get("label") or w["key"],
            client_id=w.get("client_id") or "", issuer=w.get("issuer") or "")
        for w in raw.get("ways") or []
    )
    return SignInConfig(mode=raw.get("mode") or "anonymous", ways=ways,
                        edit_window_seconds=raw.get("edit_window_seconds"))


def is_enabled(site: Site) -> bool:
    """Whether readers of this site can sign in at all."""
    config = config_of(site)
    return config.mode != "anonymous" and bool(config.ways)


def requires_sign_in(site: Site) -> bool:
    return config_of(site).mode == "required"


def edit_window_seconds(site: Site, rules: ReaderSettings) -> int:
    """How long a signed-in reader may edit or delete their own comments on this site."""
    own = config_of(site).edit_window_seconds
    return rules.edit_window_seconds if own is None else own


def way(site: Site, key: str, *, kinds: Sequence[str] = KINDS) -> Way:
    """The site's way in called ``key``, of one of ``kinds``. Raises SignInWayNotFound
    (also while the site's mode is anonymous)."""
    config = config_of(site)
    if config.mode != "anonymous":
        for candidate in config.ways:
            if candidate.key == key and candidate.kind in kinds:
                return candidate
    raise SignInWayNotFound()


def secret_env_name(slug: str, key: str) -> str:
    """The environment variable holding a way's secret: COMMENTS_SITE_NEWS_GITHUB_SECRET."""
    return "COMMENTS_SITE_{}_{}_SECRET".format(
        re.sub(r"[^A-Z0-9]", "_", slug.upper()), re.sub(r"[^A-Z0-9]", "_", key.upper()))


def secret_for(site: Site, key: str, environ: Mapping[str, str]) -> str | None:
    """A way's secret: from the environment first, else as a moderator stored it."""
    from_env = environ.get(secret_env_name(site.slug, key))
    if from_env:
        return from_env
    stored = ((site.settings or {}).get(SECRETS_KEY) or {}).get(key)
    return stored or None


def public_config(site: Site, rules: ReaderSettings) -> dict[str, Any]:
    """What the widget needs to offer sign-in: the mode, each way's key, kind and label,
    and how long a signed-in reader may edit their own comments."""
    config = config_of(site)
    window = edit_window_seconds(site, rules)
    if config.mode == "anonymous":
        return {"mode": "anonymous", "ways": [], "edit_window_seconds": window}
    return {"mode": config.mode,
            "ways": [{"key": w.key, "kind": w.kind, "label": w.label} for w in config.ways],
            "edit_window_seconds": window}


def moderator_view(site: Site, environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings as moderators see them: each way with whether its secret is set and
    where from, never the secret itself."""
    config = config_of(site)
    stored = (site.settings or {}).get(SECRETS_KEY) or {}
    ways = []
    for w in config.ways:
        env_name = secret_env_name(site.slug, w.key)
        source = "environment" if environ.get(env_name) else "stored" if stored.get(w.key) \
            else None
        ways.append({"key": w.key, "kind": w.kind, "label": w.label, "client_id": w.client_id,
                     "issuer": w.issuer, "secret_set": source is not None,
                     "secret_source": source, "secret_env": env_name})
    return {"mode": config.mode, "ways": ways,
            "edit_window_seconds": config.edit_window_seconds}


def _is_issuer(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.query or parts.fragment or not parts.hostname:
        return False
    # Plain http only on loopback (a provider on the same machine, as in tests).
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)


def _clean_way(index: int, raw: Mapping[str, Any], fields: dict[str, str]) -> Way | None:
    name = f"ways.{index}"
    key, kind = str(raw.get("key") or "").strip(), str(raw.get("kind") or "").strip()
    label = str(raw.get("label") or key).strip()
    client_id = str(raw.get("client_id") or "").strip()
    issuer = str(raw.get("issuer") or "").strip().rstrip("/")
    if not WAY_KEY.match(key):
        fields[f"{name}.key"] = "Use 1-32 lowercase letters, digits, '-' or '_'."
    if kind not in KINDS:
        fields[f"{name}.kind"] = f"Use one of: {', '.join(KINDS)}."
    if not 1 <= len(label) <= MAX_LABEL:
        fields[f"{name}.label"] = f"Give a label of 1 to {MAX_LABEL} characters."
    if kind in ("oidc", "github") and not 1 <= len(client_id) <= MAX_CLIENT_ID:
        fields[f"{name}.client_id"] = "Give the client id the provider issued."
    if kind == "oidc" and (len(issuer) > MAX_ISSUER or not _is_issuer(issuer)):
        fields[f"{name}.issuer"] = ("Give the provider's issuer URL (https; http only on "
                                    "localhost).")
    if f"{name}.key" in fields or f"{name}.kind" in fields:
        return None
    return Way(key=key, kind=kind, label=label,
               client_id=client_id if kind in ("oidc", "github") else "",
               issuer=issuer if kind == "oidc" else "")


def _clean_ways(raw_ways: Sequence[Mapping[str, Any]], fields: dict[str, str]) -> list[Way]:
    if len(raw_ways) > MAX_WAYS:
        fields["ways"] = f"Offer at most {MAX_WAYS} ways in."
        return []
    ways: list[Way] = []
    for index, raw in enumerate(raw_ways):
        cleaned = _clean_way(index, raw, fields)
        if cleaned is None:
            continue
        if any(w.key == cleaned.key for w in ways):
            fields[f"ways.{index}.key"] = "Each way needs its own key."
        ways.append(cleaned)
    return ways


@dataclass(frozen=True)
class SignInChanges:
    """A moderator's edit of the sign-in settings; None leaves that part as it is.

    ``secrets`` by way key: a value sets the secret, "" removes it.
    """

    mode: str | None = None
    ways: tuple[Mapping[str, Any], ...] | None = None
    edit_window_seconds: int | None = None
    secrets: Mapping[str, str] | None = None


def _validate(changes: SignInChanges, fields: dict[str, str]) -> list[Way] | None:
    if changes.mode is not None and changes.mode not in MODES:
        fields["mode"] = f"Use one of: {', '.join(MODES)}."
    window = changes.edit_window_seconds
    if window is not None and not 0 <= window <= MAX_EDIT_WINDOW:
        fields["edit_window_seconds"] = f"Use 0 to {MAX_EDIT_WINDOW} seconds."
    for key, value in (changes.secrets or {}).items():
        if len(value) > MAX_SECRET:
            fields[f"secrets.{key}"] = f"A secret has at most {MAX_SECRET} characters."
    return _clean_ways(changes.ways, fields) if changes.ways is not None else None


def configure(
    session: Session, site: Site, actor: Actor, changes: SignInChanges, now: datetime
) -> SignInConfig:
    """Change the site's sign-in settings; audited ("sign_in_settings"), secrets never
    named in the log.

    Everything is checked before anything changes. Raises NotYourSite, and
    ValidationFailed naming each bad field (mode, a way's key, kind, label, client id or
    issuer, the edit window, a secret's length, a secret for a way the site lacks).
    """
    actor.require_site(site.id)
    fields: dict[str, str] = {}
    ways = _validate(changes, fields)
    current = config_of(site)
    final_ways = ways if ways is not None else list(current.ways)
    for key in changes.secrets or {}:
        if not any(w.key == key for w in final_ways):
            fields[f"secrets.{key}"] = "No way in has that key."
    if fields:
        raise ValidationFailed(fields=fields)
    stored = {
        "mode": changes.mode or current.mode,
        "ways": [{"key": w.key, "kind": w.kind, "label": w.label, "client_id": w.client_id,
                  "issuer": w.issuer} for w in final_ways],
        "edit_window_seconds": changes.edit_window_seconds
        if changes.edit_window_seconds is not None else current.edit_window_seconds,
    }
    secrets = dict((site.settings or {}).get(SECRETS_KEY) or {})
    for key, value in (changes.secrets or {}).items():
        if value:
            secrets[key] = value
        else:
            secrets.pop(key, None)
    secrets = {k: v for k, v in secrets.items() if any(w.key == k for w in final_ways)}
    site.settings = {**(site.settings or {}), SETTINGS_KEY: stored, SECRETS_KEY: secrets}
    session.flush()
    named = ", ".join(f"{w.key} ({w.kind})" for w in final_ways) or "none"
    note = f"sign-in {stored['mode']}; ways: {named}"
    if changes.secrets:
        note += f"; secrets changed: {', '.join(sorted(changes.secrets))}"
    audit.record(session, actor, site.id, "sign_in_settings", now, note=note)
    return config_of(site)
