"""The outbox rows a newly visible comment gives a site's webhooks (one per URL).

Apart from services/webhooks.py (which validates webhooks as moderators add them) so
that notifications.py can queue the calls without importing the draft rules.
"""

from __future__ import annotations

import hashlib

from comments_service.models import Comment, OutboxKind, Site
from comments_service.services.outbox import NewMessage

SETTINGS_KEY = "webhooks"
EVENT_COMMENT_PUBLISHED = "comment.published"


def webhook_messages(site: Site, comment: Comment) -> list[NewMessage]:
    """One outbox row per webhook URL of the site for a newly visible comment."""
    hooks = (site.settings or {}).get(SETTINGS_KEY) or []
    messages = []
    for hook in hooks:
        url = hook.get("url") if isinstance(hook, dict) else None
        if not url:
            continue
        url_key = hashlib.sha256(url.encode()).hexdigest()[:16]
        messages.append(NewMessage(
            kind=OutboxKind.WEBHOOK.value,
            dedupe_key=f"webhook:{comment.id}:{url_key}",
            recipient=url,
            payload={"event": EVENT_COMMENT_PUBLISHED, "comment_id": comment.id,
                     "site_id": site.id},
        ))
    return messages
