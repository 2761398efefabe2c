"""Readers' own data: a copy of every comment they posted on a site, or its erasure.

Readers have no accounts; what proves a reader wrote a comment is the email
address they gave with it. So the reader asks for a link (`request_link`), the
link is mailed to that address through the outbox, and whoever holds it may,
until it expires, download the comments (`export_comments`) or erase them all
(`erase_comments`).

The rules:

- the answer to a request is the same whether or not the address has comments,
  so nobody learns who commented; mail goes only to addresses with comments on
  the site, at most once per ``privacy.resend_seconds`` per site and address;
- an address matches regardless of letter case (as addresses are entered);
- erasing purges each comment as a moderator's purge does (moderation.purge_comment):
  one without replies is deleted; one with replies stays as an empty, anonymous
  placeholder so the replies keep their place. The address's subscriptions on the
  site go too, and its notification consent when nothing else uses it;
- a request row keeps the address only until it is used to erase or it expires
  (workers delete expired rows hourly: `purge_expired`).

Framework-free: plain Session and values.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, exists, func, select
from sqlalchemy.orm import Session

from comments_service.config import CommentSettings, PrivacySettings
from comments_service.errors import ReaderDataOff, ValidationFailed
from comments_service.models import (
    Comment,
    CommentStatus,
    NotifyAddress,
    OutboxKind,
    PassageAnchor,
    ReaderDataRequest,
    Site,
    Subscription,
    Thread,
)
from comments_service.notify.tokens import InvalidToken, ReaderDataClaim
from comments_service.services import audit, drafts, outbox
from comments_service.services.moderation import purge_comment
from comments_service.services.moderators import Actor
from comments_service.services.notifications import address_hash
from comments_service.services.outbox import NewMessage

EXPORT_FORMAT = "comments_service.reader_data/1"
READER = Actor(moderator_id=None, name="reader", site_ids=frozenset())
"""Who the audit log names for an erasure the reader asked for."""


def _require_enabled(privacy: PrivacySettings, notifications_enabled: bool) -> None:
    if not (privacy.enabled and notifications_enabled):
        raise ReaderDataOff()


def _own_comments(site_id: int, email: str) -> Select[tuple[Comment, Thread]]:
    return (
        select(Comment, Thread)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Thread.site_id == site_id, func.lower(Comment.author_email) == email.lower())
    )


def request_link(
    session: Session,
    site: Site,
    email: str | None,
    rules: CommentSettings,
    privacy: PrivacySettings,
    notifications_enabled: bool,
    secret: str,
    now: datetime,
    language: str | None = None,
) -> bool:
    """Mail the address a link to its comments on the site; True if one was queued.
    ``language`` (a supported code) is the one the mail and the link's pages use.

    The caller answers the same either way. Nothing is queued for an address
    with no comment on the site, nor within resend_seconds of the last link for
    the same site and address (that link still works). Raises ValidationFailed
    (email) and ReaderDataOff.
    """
    _require_enabled(privacy, notifications_enabled)
    address, error = drafts.clean_email(email, rules)
    if error or address is None:
        message = error or "Give the email address you commented with."
        raise ValidationFailed(fields={"email": message})
    has_comments = session.execute(
        select(exists(_own_comments(site.id, address).with_only_columns(Comment.id)))
    ).scalar_one()
    if not has_comments:
        return False
    hashed = address_hash(address, secret)
    recent = session.execute(
        select(ReaderDataRequest.id).where(
            ReaderDataRequest.site_id == site.id,
            ReaderDataRequest.address_hash == hashed,
            ReaderDataRequest.erased_at.is_(None),
            ReaderDataRequest.created_at > now - timedelta(seconds=privacy.resend_seconds),
        ).limit(1)
    ).first()
    if recent is not None:
        return False

    request = ReaderDataRequest(
        site_id=site.id,
        email=address,
        address_hash=hashed,
        nonce=secrets.token_hex(16),
        created_at=now,
        expires_at=now + timedelta(seconds=privacy.link_max_age_seconds),
        language=language,
    )
    session.add(request)
    session.flush()
    outbox.add(session, [NewMessage(
        kind=OutboxKind.READER_DATA.value,
        dedupe_key=f"reader-data:{request.id}",
        recipient=address,
        payload={"request_id": request.id},
    )], now)
    return True


def find_request(
    session: Session, claim: ReaderDataClaim, now: datetime, *, for_update: bool = False
) -> ReaderDataRequest:
    """The request a token names, if its link still works; raises InvalidToken otherwise."""
    query = select(ReaderDataRequest).where(ReaderDataRequest.id == claim.request_id)
    if for_update:
        query = query.with_for_update()
    request = session.execute(query).scalar_one_or_none()
    if request is None or not secrets.compare_digest(request.nonce, claim.nonce):
        raise InvalidToken()
    if request.expires_at <= now:
        raise InvalidToken(expired=True)
    return request


def purge_expired(session: Session, now: datetime) -> int:
    """Delete requests whose link has expired (and the address they held); returns how many."""
    result = session.execute(delete(ReaderDataRequest).where(ReaderDataRequest.expires_at < now))
    return result.rowcount or 0


@dataclass(frozen=True)
class RequestSummary:
    site_name: str
    email: str
    comment_count: int
    thread_count: int
    erased_at: datetime | None
    expires_at: datetime


def summarize(session: Session, request: ReaderDataRequest) -> RequestSummary:
    """What the link's page shows: whose comments, on which site, how many."""
    site = session.get(Site, request.site_id)
    site_name = site.name if site is not None else ""
    comment_count, thread_count = 0, 0
    if request.erased_at is None:
        own = _own_comments(request.site_id, request.email).subquery()
        comment_count, thread_count = session.execute(
            select(func.count(), func.count(func.distinct(own.c.thread_id)))
        ).one()
    return RequestSummary(site_name, request.email, comment_count, thread_count,
                          request.erased_at, request.expires_at)


def _time(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _comment_entry(comment: Comment, thread: Thread) -> dict[str, Any]:
    return {
        "id": comment.id,
        "article": thread.article_key,
        "article_title": thread.title,
        "article_url": thread.url,
        "parent_id": comment.parent_id,
        "reply_to_id": comment.reply_to_id,
        "status": comment.status,
        "author_name": comment.author_name,
        "author_email": comment.author_email,
        "author_website": comment.author_website,
        "body_markdown": comment.body_markdown,
        "body_html": comment.body_html,
        "created_at": _time(comment.created_at),
        "edited_at": _time(comment.edited_at),
    }


def export_comments(
    session: Session, request: ReaderDataRequest, now: datetime
) -> Iterator[dict[str, Any]]:
    """Every comment the request's address posted on the site, oldest first, as dicts.

    Streams rows in batches (a prolific reader's history need not fit in memory).
    Comments still held for moderation, hidden or deleted by their author are
    included with their status: they are the reader's data too.
    """
    query = (
        _own_comments(request.site_id, request.email)
        .add_columns(PassageAnchor)
        .outerjoin(PassageAnchor, PassageAnchor.comment_id == Comment.id)
        .order_by(Comment.created_at, Comment.id)
        .execution_options(yield_per=500)
    )
    for comment, thread, anchor in session.execute(query):
        entry = _comment_entry(comment, thread)
        entry["anchor"] = None if anchor is None else {
            "passage_key": anchor.passage_key, "quote": anchor.quote,
            "prefix": anchor.prefix, "suffix": anchor.suffix,
        }
        yield entry


def export_header(
    session: Session, request: ReaderDataRequest, now: datetime
) -> dict[str, Any]:
    """The document's fields around its comments list (see export_comments)."""
    site = session.get(Site, request.site_id)
    subscriptions = session.execute(
        select(Thread.article_key, Subscription.mode, Subscription.created_at)
        .join(Thread, Thread.id == Subscription.thread_id)
        .where(Thread.site_id == request.site_id,
               Subscription.address_hash == request.address_hash)
        .order_by(Subscription.id)
    ).all()
    return {
        "format": EXPORT_FORMAT,
        "generated_at": _time(now),
        "site": {"slug": site.slug, "name": site.name} if site is not None else None,
        "email": request.email,
        "subscriptions": [
            {"article": key, "notify": mode, "created_at": _time(created)}
            for key, mode, created in subscriptions
        ],
    }


@dataclass(frozen=True)
class Erased:
    """What an erasure did: rows deleted, placeholders kept, subscriptions ended."""

    deleted: int
    kept_as_placeholders: int
    subscriptions: int


def erase_comments(session: Session, request: ReaderDataRequest, now: datetime) -> Erased:
    """Purge every comment of the request's address on its site; the link then stops.

    Deepest comments go first, so a reader's comment whose only replies are the
    reader's own is deleted rather than left as an empty placeholder. Each purge
    is in the audit log under the actor "reader". Raises InvalidToken if the
    request was already used to erase.
    """
    if request.erased_at is not None:
        raise InvalidToken()
    deleted = kept = 0
    rows = session.execute(
        _own_comments(request.site_id, request.email).order_by(
            Comment.depth.desc(), Comment.id.desc()
        )
    ).all()
    for comment, thread in rows:
        session.refresh(comment, ["child_count"])
        before = comment.status
        comment_id = comment.id
        after = purge_comment(session, comment)
        if after == CommentStatus.DELETED.value:
            kept += 1
        else:
            deleted += 1
        audit.record(session, READER, request.site_id, "reader_erase", now,
                     comment_id=comment_id, thread_id=thread.id,
                     status_before=before, status_after=after,
                     note="erased at its author's request (mailed link)")

    site_threads = select(Thread.id).where(Thread.site_id == request.site_id)
    ended = session.execute(
        delete(Subscription).where(
            Subscription.address_hash == request.address_hash,
            Subscription.thread_id.in_(site_threads),
        )
    ).rowcount or 0
    still_used = session.execute(
        select(exists().where(Subscription.address_hash == request.address_hash))
    ).scalar_one()
    if not still_used:
        session.execute(
            delete(NotifyAddress).where(NotifyAddress.address_hash == request.address_hash)
        )
    request.erased_at = now
    request.email = ""
    session.flush()
    return Erased(deleted, kept, ended)
