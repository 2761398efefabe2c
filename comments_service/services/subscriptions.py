"""A reader follows an article's thread without posting (POST /subscriptions).

Validated like a post (same article key and address rules, same order), the
thread created on first use like a post's; the rules of consent and delivery
are those of services/notifications.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from comments_service.config import CommentSettings, NotificationSettings
from comments_service.errors import NotificationsOff, ValidationFailed
from comments_service.models import Site
from comments_service.services import drafts, notifications, posting


@dataclass(frozen=True)
class SubscribeRequest:
    article_key: str
    email: str
    mode: str = "all"
    language: str | None = None  # a supported code (languages.supported) or None


def subscribe_reader(
    session: Session,
    site: Site,
    request: SubscribeRequest,
    rules: CommentSettings,
    settings: NotificationSettings,
    secret: str,
    now: datetime,
) -> str:
    """Subscribe an address to an article's thread; returns the subscription's mode.

    The article's thread is created if it has no comment yet. An unconfirmed
    address is sent a confirmation email and nothing else until it confirms.
    The outcome is the same whether the address was confirmed, new or already
    subscribed, so the answer tells nobody who follows what. Raises
    NotificationsOff and ValidationFailed (article, email, notify).
    """
    if not settings.enabled:
        raise NotificationsOff()
    fields: dict[str, str] = {}
    article_key, article_error = drafts.clean_article_key(request.article_key, rules)
    if article_error:
        fields["article"] = article_error
    email, email_error = drafts.clean_email(request.email, rules)
    if email_error or email is None:
        fields["email"] = email_error or "Give an email address."
    if request.mode not in ("all", "replies"):
        fields["notify"] = "Choose all or replies."
    if fields or email is None:
        raise ValidationFailed(fields=fields)
    thread = posting.get_or_create_thread(session, site, article_key, None, None, now)
    followed = notifications.follow_thread(
        session, thread, email, request.mode, settings, secret, now, request.language
    )
    return followed.mode
