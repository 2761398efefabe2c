"""Who is told of what: consent, thread subscriptions, and the fan-out into the outbox.

The rules, in one place:

- an address receives nothing but a confirmation email until it has confirmed
  once (double opt-in); consent is kept per address as a keyed hash only;
- a subscription follows one thread, either every new comment ("all") or
  replies to the subscriber's own comments there ("replies");
- nobody is told of their own comment, and each recipient gets one email per
  new comment however many of their reasons match;
- nothing is queued for a comment that is not visible: a visible new comment
  is queued when posted, a held one when a moderator approves it (both through
  the app's comment events, `NotificationSubscriber`);
- moderator addresses from config get a notice of pending and flagged comments.

Everything here only adds outbox rows in the caller's transaction; the worker
(`notify/`) sends them. Framework-free: plain Session and values.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar
from urllib.parse import urlsplit

from sqlalchemy import Select, bindparam, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from comments_service.config import NotificationSettings
from comments_service.events import CommentChange, CommentEvent, EventBus
from comments_service.models import (
    Comment,
    CommentStatus,
    NotifyAddress,
    OutboxKind,
    Site,
    Subscription,
    SubscriptionMode,
    Thread,
)
from comments_service.services import outbox
from comments_service.services.outbox import NewMessage
from comments_service.services.sites import is_origin_allowed
from comments_service.services.webhook_messages import webhook_messages

NOTIFY_CHOICES = ("none", "replies", "all")
REASON_REPLY = "reply"
REASON_THREAD = "thread"

R = TypeVar("R")

# A stronger mode is never replaced by a weaker one when someone posts again.
_MODE_RANK = {SubscriptionMode.REPLIES.value: 1, SubscriptionMode.ALL.value: 2}


def address_hash(email: str, secret: str) -> str:
    """Keyed hash of an address (case-insensitive): consent is stored under this, not the text."""
    key = email.strip().lower().encode()
    return hmac.new(secret.encode(), key, hashlib.sha256).hexdigest()


def _same_address(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.strip().lower() == b.strip().lower()


# ---- consent and subscriptions -----------------------------------------------------


@dataclass(frozen=True)
class Followed:
    """Outcome of follow_thread: the subscription's mode and whether the address is confirmed."""

    mode: str
    is_confirmed: bool
    confirmation_queued: bool


def _get_or_add(session: Session, query: Select[tuple[R]], new: Callable[[], R]) -> R:
    """The row `query` finds, else `new()` inserted; safe when two requests race to add it."""
    row = session.execute(query).scalar_one_or_none()
    if row is not None:
        return row
    row = new()
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # Another transaction added it between our read and insert: use theirs.
        return session.execute(query).scalar_one()
    return row


def follow_thread(
    session: Session,
    thread: Thread,
    email: str,
    mode: str,
    settings: NotificationSettings,
    secret: str,
    now: datetime,
    language: str | None = None,
) -> Followed:
    """Subscribe a (validated) address to a thread, or widen its subscription there.

    An address not yet confirmed gets a confirmation email queued instead of
    anything else, at most once per ``confirmation_resend_seconds``. Posting
    again with a narrower choice never narrows a subscription; the signed link
    in every email changes or stops it (`set_mode`). ``language`` (a supported code,
    the reader's latest) is what every mail about this subscription is written in.
    """
    if mode not in _MODE_RANK:
        raise ValueError(f"unknown subscription mode {mode!r}")
    hashed = address_hash(email, secret)
    consent = _get_or_add(
        session,
        select(NotifyAddress).where(NotifyAddress.address_hash == hashed),
        lambda: NotifyAddress(address_hash=hashed, created_at=now),
    )
    subscription = _get_or_add(
        session,
        select(Subscription).where(
            Subscription.thread_id == thread.id, Subscription.address_hash == hashed
        ),
        lambda: Subscription(thread_id=thread.id, email=email, address_hash=hashed, mode=mode,
                             created_at=now),
    )
    if _MODE_RANK[mode] > _MODE_RANK[subscription.mode]:
        subscription.mode = mode
    subscription.email = email
    subscription.language = language or subscription.language

    queued = False
    if consent.confirmed_at is None:
        resend_after = timedelta(seconds=settings.confirmation_resend_seconds)
        last = consent.confirmation_sent_at
        if last is None or now - last >= resend_after:
            consent.confirmation_sent_at = now
            outbox.add(session, [NewMessage(
                kind=OutboxKind.CONFIRM.value,
                dedupe_key=f"confirm:{hashed}:{now.isoformat()}",
                recipient=email,
                payload={"address_hash": hashed, "thread_id": thread.id},
            )], now)
            queued = True
    session.flush()
    return Followed(subscription.mode, consent.confirmed_at is not None, queued)


def confirm_address(session: Session, hashed: str, now: datetime) -> bool:
    """Record that the address with this hash confirmed; False if it never subscribed."""
    consent = session.execute(
        select(NotifyAddress).where(NotifyAddress.address_hash == hashed)
    ).scalar_one_or_none()
    if consent is None:
        return False
    if consent.confirmed_at is None:
        consent.confirmed_at = now
        session.flush()
    return True


def is_confirmed(session: Session, hashed: str) -> bool:
    """Whether the address with this hash followed its confirmation link."""
    return session.execute(
        select(NotifyAddress.id).where(
            NotifyAddress.address_hash == hashed, NotifyAddress.confirmed_at.is_not(None)
        )
    ).first() is not None


def subscription_mode(session: Session, thread_id: int, hashed: str) -> str:
    """The address's current choice for a thread: "all", "replies" or "none"."""
    mode = session.execute(
        select(Subscription.mode).where(
            Subscription.thread_id == thread_id, Subscription.address_hash == hashed
        )
    ).scalar_one_or_none()
    return mode or "none"


def set_mode(session: Session, thread_id: int, hashed: str, mode: str) -> bool:
    """Change ("all"/"replies") or stop ("none") an existing subscription, as its link asks.

    Returns False when there is no subscription to change (already stopped);
    stopping is idempotent. Never creates a subscription: the link only
    proves the address was subscribed, not what it now wants to start.
    """
    if mode not in NOTIFY_CHOICES:
        raise ValueError(f"unknown subscription mode {mode!r}")
    subscription = session.execute(
        select(Subscription).where(
            Subscription.thread_id == thread_id, Subscription.address_hash == hashed
        )
    ).scalar_one_or_none()
    if subscription is None:
        return False
    if mode == "none":
        session.delete(subscription)
    else:
        subscription.mode = mode
    session.flush()
    return True


# ---- fan-out ----------------------------------------------------------------------


# Built once: this runs for every visible comment posted.
_CONFIRMED_SUBSCRIBERS = (
    select(Subscription.email, Subscription.address_hash, Subscription.mode)
    .join(NotifyAddress, NotifyAddress.address_hash == Subscription.address_hash)
    .where(Subscription.thread_id == bindparam("thread_id"),
           NotifyAddress.confirmed_at.is_not(None))
    .order_by(Subscription.id)
)


# Whether anyone follows a thread, as a column of a query on threads: posting reads it
# with the thread, so that a post to a thread nobody follows skips the subscriber query.
THREAD_HAS_SUBSCRIPTIONS = (
    exists().where(Subscription.thread_id == Thread.id).label("has_subscriptions")
)


def enqueue_for_comment(
    session: Session, comment: Comment, now: datetime, *, may_have_subscribers: bool = True
) -> int:
    """Queue everything a newly visible comment causes; returns the rows asked for.

    One email per confirmed subscriber of the thread who is not the comment's
    author: "replies" subscribers only when the comment answers one of their
    comments; and one webhook call per URL of the site. Safe to call more than
    once for the same comment (moderation approving twice, say): the outbox
    keeps one row per comment and recipient. Does nothing for a comment that
    is not visible. ``may_have_subscribers`` False (the thread had no subscription
    when this transaction read it) skips the subscriber query.
    """
    if comment.status != CommentStatus.VISIBLE.value:
        return 0
    thread = session.get(Thread, comment.thread_id)
    if thread is None:  # pragma: no cover - foreign keys forbid it
        return 0
    site = session.get(Site, thread.site_id)
    answered = session.get(Comment, comment.reply_to_id) if comment.reply_to_id else None
    answered_email = answered.author_email if answered is not None else None

    rows = (
        session.execute(_CONFIRMED_SUBSCRIBERS, {"thread_id": thread.id}).all()
        if may_have_subscribers else []
    )

    # One entry per address: a reply to them and "all" in the thread is one email.
    recipients: dict[str, tuple[str, str]] = {}
    for email, hashed, mode in rows:
        if _same_address(email, comment.author_email):
            continue
        if _same_address(email, answered_email):
            recipients[hashed] = (email, REASON_REPLY)
        elif mode == SubscriptionMode.ALL.value:
            recipients.setdefault(hashed, (email, REASON_THREAD))

    messages = [
        NewMessage(
            kind=OutboxKind.COMMENT.value,
            dedupe_key=f"comment:{comment.id}:{hashed}",
            recipient=email,
            payload={"comment_id": comment.id, "thread_id": thread.id,
                     "address_hash": hashed, "reason": reason},
        )
        for hashed, (email, reason) in recipients.items()
    ]
    if site is not None:
        messages += webhook_messages(site, comment)
    outbox.add(session, messages, now)
    return len(messages)


def enqueue_moderator_notice(
    session: Session,
    comment: Comment,
    reason: str,
    addresses: Iterable[str],
    now: datetime,
) -> int:
    """Tell each configured moderator address that a comment is "pending" or "flagged".

    One notice per comment, reason and address, however often it is flagged.
    Returns the rows asked for.
    """
    if reason not in ("pending", "flagged"):
        raise ValueError(f"unknown moderator notice reason {reason!r}")
    messages = []
    seen: set[str] = set()
    for address in addresses:
        key = address.strip().lower()
        if not key or key in seen:
            continue
        seen.add(key)
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        messages.append(NewMessage(
            kind=OutboxKind.MODERATOR.value,
            dedupe_key=f"moderator:{reason}:{comment.id}:{digest}",
            recipient=address.strip(),
            payload={"comment_id": comment.id, "reason": reason},
        ))
    outbox.add(session, messages, now)
    return len(messages)


def record_new_comment(
    session: Session,
    thread: Thread,
    comment: Comment,
    notify: str,
    settings: NotificationSettings,
    secret: str,
    now: datetime,
    *,
    may_have_subscribers: bool = True,
    language: str | None = None,
) -> None:
    """What posting does for notifications, inside the comment's own transaction.

    Subscribes the author when they asked (``notify`` "replies" or "all"; the
    draft's validation already required an address), then queues the comment's
    notifications if it is visible, or moderator notices if it is pending.
    Nothing at all when notifications are off. ``may_have_subscribers`` False: the
    thread had no subscription before this comment (the author's own, if any, is
    never notified of their comment), so no subscriber is read.
    """
    if not settings.enabled:
        return
    if notify != "none" and comment.author_email:
        follow_thread(session, thread, comment.author_email, notify, settings, secret, now,
                      language)
    if comment.status == CommentStatus.VISIBLE.value:
        enqueue_for_comment(session, comment, now, may_have_subscribers=may_have_subscribers)
    elif comment.status == CommentStatus.PENDING.value:
        enqueue_moderator_notice(session, comment, "pending", settings.moderator_addresses, now)


# ---- what the worker reads back -----------------------------------------------------


def linkable_url(url: str | None, site: Site) -> str | None:
    """The thread's article URL if it is on one of the site's own origins, else None.

    The URL comes from whoever posted first; emails and webhooks sent in the
    site's name must not carry a link to anywhere else.
    """
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if is_origin_allowed(site, f"{parts.scheme}://{parts.netloc}") else None


@dataclass(frozen=True)
class CommentContext:
    """A comment with its thread and site, as a notification shows it."""

    comment_id: int
    status: str
    body_html: str
    author_name: str | None
    created_at: datetime
    path: str
    reply_to_id: int | None
    parent_id: int | None
    thread_id: int
    article_key: str
    thread_title: str | None
    thread_url: str | None
    site_id: int
    site_slug: str
    site_name: str
    site_settings: dict[str, object]

    @property
    def is_visible(self) -> bool:
        return self.status == CommentStatus.VISIBLE.value

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the top-level comment down to the one above this comment."""
        return [int(part) for part in self.path.split(".")[:-1] if part]


def comment_context(session: Session, comment_id: int) -> CommentContext | None:
    """Read what a notification about a comment needs, or None when the comment is gone."""
    row = session.execute(
        select(Comment, Thread, Site)
        .join(Thread, Thread.id == Comment.thread_id)
        .join(Site, Site.id == Thread.site_id)
        .where(Comment.id == comment_id)
    ).one_or_none()
    if row is None:
        return None
    comment, thread, site = row
    return CommentContext(
        comment_id=comment.id,
        status=comment.status,
        body_html=comment.body_html,
        author_name=comment.author_name,
        created_at=comment.created_at,
        path=comment.path,
        reply_to_id=comment.reply_to_id,
        parent_id=comment.parent_id,
        thread_id=thread.id,
        article_key=thread.article_key,
        thread_title=thread.title,
        thread_url=linkable_url(thread.url, site),
        site_id=site.id,
        site_slug=site.slug,
        site_name=site.name,
        site_settings=dict(site.settings or {}),
    )


@dataclass(frozen=True)
class ThreadContext:
    thread_id: int
    article_key: str
    title: str | None
    url: str | None
    site_name: str
    site_settings: dict[str, object] | None = None


def thread_context(session: Session, thread_id: int) -> ThreadContext | None:
    """Read what a confirmation email or a link page shows of a thread; None when gone."""
    row = session.execute(
        select(Thread, Site).join(Site, Site.id == Thread.site_id).where(Thread.id == thread_id)
    ).one_or_none()
    if row is None:
        return None
    thread, site = row
    return ThreadContext(thread.id, thread.article_key, thread.title,
                         linkable_url(thread.url, site), site.name, dict(site.settings or {}))


# ---- subscribed to the app's comment events ------------------------------------------


@dataclass(frozen=True)
class NotificationSubscriber:
    """What notifications do when something happens to a comment (events.py).

    published / held: the author's subscription, then the comment's outbox rows
    (visible) or the moderators' "pending" notice (``record_new_comment``);
    approved: the outbox rows a held comment did not get when it was posted (not
    on a restore: that comment was visible, and announced, before); flagged: the
    moderators' "flagged" notice, when moderator addresses are configured.
    """

    settings: NotificationSettings
    secret: str

    def subscribe(self, bus: EventBus) -> None:
        """Listen on one app's events; nothing when notifications are off."""
        if not self.settings.enabled:
            return
        bus.subscribe(self.on_posted, CommentEvent.PUBLISHED, CommentEvent.HELD)
        bus.subscribe(self.on_approved, CommentEvent.APPROVED)
        bus.subscribe(self.on_flagged, CommentEvent.FLAGGED)

    def on_posted(self, session: Session, change: CommentChange) -> None:
        if change.thread is None:  # pragma: no cover - posting always sends its thread
            raise ValueError("a posted comment's event carries its thread")
        record_new_comment(session, change.thread, change.comment, change.notify,
                           self.settings, self.secret, change.now,
                           may_have_subscribers=change.may_have_subscribers,
                           language=change.language)

    def on_approved(self, session: Session, change: CommentChange) -> None:
        enqueue_for_comment(session, change.comment, change.now)

    def on_flagged(self, session: Session, change: CommentChange) -> None:
        if self.settings.moderator_addresses:
            enqueue_moderator_notice(session, change.comment, "flagged",
                                     self.settings.moderator_addresses, change.now)
