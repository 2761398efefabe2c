"""A site's webhooks: URLs told of every newly visible comment, each with its own secret.

Kept in ``site.settings["webhooks"]`` as ``[{"url": ..., "secret": ...}]``. The
secret signs each call's body (see notify/webhooks.py) and is shown once, when
the webhook is added.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from comments_service.errors import ValidationFailed
from comments_service.models import MAX_URL, Site
from comments_service.services.drafts import clean_web_url

SETTINGS_KEY = "webhooks"
SECRET_BYTES = 32


@dataclass(frozen=True)
class Webhook:
    url: str
    secret: str


def list_webhooks(site: Site) -> list[Webhook]:
    """The site's webhooks, in the order they were added."""
    hooks = (site.settings or {}).get(SETTINGS_KEY) or []
    return [
        Webhook(hook["url"], hook["secret"])
        for hook in hooks
        if isinstance(hook, dict) and hook.get("url") and hook.get("secret")
    ]


def find_webhook(site_settings: dict[str, object], url: str) -> Webhook | None:
    """The webhook configured for `url` in a site's settings, or None once removed."""
    hooks = site_settings.get(SETTINGS_KEY) or []
    for hook in hooks if isinstance(hooks, list) else []:
        if isinstance(hook, dict) and hook.get("url") == url and hook.get("secret"):
            return Webhook(hook["url"], hook["secret"])
    return None


def _save(site: Site, hooks: list[Webhook]) -> None:
    # Assign a new dict: the JSON column does not track changes made in place.
    site.settings = {
        **(site.settings or {}),
        SETTINGS_KEY: [{"url": h.url, "secret": h.secret} for h in hooks],
    }


def add_webhook(session: Session, site: Site, url: str) -> Webhook:
    """Add an http(s) webhook URL to a site with a new secret; returns it (secret included).

    Raises ValidationFailed for a bad URL or one the site already has.
    """
    clean, error = clean_web_url(url, MAX_URL)
    if error or clean is None:
        raise ValidationFailed(fields={"url": error or "Give an http:// or https:// URL."})
    hooks = list_webhooks(site)
    if any(hook.url == clean for hook in hooks):
        raise ValidationFailed(fields={"url": "This site already has that webhook."})
    hook = Webhook(clean, secrets.token_urlsafe(SECRET_BYTES))
    _save(site, [*hooks, hook])
    session.flush()
    return hook


def remove_webhook(session: Session, site: Site, url: str) -> bool:
    """Remove a webhook; False when the site had none at that URL."""
    hooks = list_webhooks(site)
    kept = [hook for hook in hooks if hook.url != url]
    if len(kept) == len(hooks):
        return False
    _save(site, kept)
    session.flush()
    return True

