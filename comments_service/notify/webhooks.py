"""Webhook calls: a signed JSON POST per newly visible comment, retried through the outbox.

Each call carries

- ``X-Comments-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed by the
  webhook's secret>``: verify it over the exact bytes received, before parsing;
- ``X-Comments-Timestamp``: Unix seconds when this try was sent, also inside the
  signed body as ``"timestamp"``, so a receiver can refuse old replays;
- ``X-Comments-Delivery``: the outbox row id, the same on every retry, so a
  receiver can drop a duplicate (delivery is at-least-once);
- ``X-Comments-Event``: ``comment.published``.

Any 2xx answer is success; anything else (3xx included: redirects are not
followed) is a failed try. Calls go straight to the URL, ignoring proxy
environment variables.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from comments_service import sanitize
from comments_service.notify.mail import comment_link
from comments_service.services.notifications import CommentContext
from comments_service.services.webhook_messages import EVENT_COMMENT_PUBLISHED

SIGNATURE_HEADER = "X-Comments-Signature"
TIMESTAMP_HEADER = "X-Comments-Timestamp"
DELIVERY_HEADER = "X-Comments-Delivery"
EVENT_HEADER = "X-Comments-Event"
USER_AGENT = "comments_service-webhook/1"


class WebhookFailed(RuntimeError):
    """The receiver did not answer 2xx in time."""


@dataclass(frozen=True)
class WebhookCall:
    url: str
    body: bytes
    headers: dict[str, str]


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for a body: ``sha256=`` + hex HMAC-SHA256."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def is_valid_signature(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does: recompute over the raw body, compare in constant time."""
    return hmac.compare_digest(sign(secret, body), header)


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def comment_payload(ctx: CommentContext, delivery_id: int, now: datetime) -> dict[str, Any]:
    """The JSON a webhook receives about a comment (never an email or an address hash)."""
    return {
        "event": EVENT_COMMENT_PUBLISHED,
        "delivery_id": delivery_id,
        "timestamp": int(now.timestamp()),
        "site": ctx.site_slug,
        "thread": {"article": ctx.article_key, "title": ctx.thread_title, "url": ctx.thread_url},
        "comment": {
            "id": ctx.comment_id,
            "parent_id": ctx.parent_id,
            "reply_to_id": ctx.reply_to_id,
            "author_name": ctx.author_name,
            "body_html": ctx.body_html,
            "body_text": sanitize.to_text(ctx.body_html),
            "created_at": _iso(ctx.created_at),
            "url": comment_link(ctx),
        },
    }


def build_call(
    url: str, secret: str, payload: dict[str, Any], delivery_id: int, now: datetime
) -> WebhookCall:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return WebhookCall(url, body, {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: str(payload.get("event", "")),
        DELIVERY_HEADER: str(delivery_id),
        TIMESTAMP_HEADER: str(int(now.timestamp())),
        SIGNATURE_HEADER: sign(secret, body),
    })


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


class WebhookSender:
    """POSTs calls with a timeout over urllib (no extra dependency)."""

    def __init__(self, timeout_seconds: float) -> None:
        self.timeout = timeout_seconds
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects)

    def send(self, call: WebhookCall) -> None:
        """Deliver one call; raises WebhookFailed unless the receiver answers 2xx."""
        if urlsplit(call.url).scheme not in ("http", "https"):
            raise WebhookFailed("webhook URL is not http(s)")
        request = urllib.request.Request(  # noqa: S310 - scheme checked just above
            call.url, data=call.body, headers=call.headers, method="POST"
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read(4096)
                status = response.status
        except urllib.error.HTTPError as exc:
            exc.close()
            raise WebhookFailed(f"HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise WebhookFailed(f"{type(exc).__name__}: {exc}") from None
        if not 200 <= status < 300:
            raise WebhookFailed(f"HTTP {status}")
