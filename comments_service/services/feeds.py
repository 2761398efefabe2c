"""Atom feeds (RFC 4287) of the newest visible comments: per article and per site.

A feed shows only what the widget shows every reader: visible comments, with their
author's name and the sanitized ``body_html`` stored at write time; never an email,
a client address, or a pending, hidden or deleted comment.

Freshness. An article's feed is a function of its thread's rows, so it is keyed by
the thread's ``version`` exactly as thread pages are (``api/thread_etags.py``): every
post, edit, delete, vote, import and moderation action bumps it, so a hidden comment
leaves the feed at the next request, whichever process or host serves it. A site's
feed is keyed by the sum of its threads' versions (``site_version``): each of those
writes adds one to one thread's version, and threads are never deleted apart from
their site, so the sum grows with every change to any thread of the site and never
comes back to an earlier value. It is read from the database on every request, so it
is right across any number of instances, with no counter to keep in step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from comments_service.models import Comment, CommentStatus, Site, Thread

ATOM_MIMETYPE = "application/atom+xml"

# Characters XML 1.0 cannot carry at all (C0 controls but tab and newlines, lone
# surrogates, U+FFFE/U+FFFF): dropped from every text, since lxml refuses them.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_C = Comment.__table__.c
_T = Thread.__table__.c


@dataclass(frozen=True)
class FeedEntry:
    comment_id: int
    author_name: str | None
    body_html: str
    created_at: datetime
    edited_at: datetime | None
    article_key: str
    article_title: str | None
    article_url: str | None


@dataclass(frozen=True)
class FeedInfo:
    """What a feed is about, besides its entries: its title, address and home."""

    feed_id: str
    title: str
    self_url: str
    article_url: str | None
    created_at: datetime


def comment_url(article_url: str, comment_id: int) -> str:
    """The comment's place on its article's page (the anchor notification emails use)."""
    return f"{article_url.split('#', 1)[0]}#comment-{comment_id}"


def _newest_visible() -> Select[Any]:
    return (
        select(_C.id, _C.author_name, _C.body_html, _C.created_at, _C.edited_at,
               _T.article_key, _T.title, _T.url)
        .select_from(Comment.__table__.join(Thread.__table__, _T.id == _C.thread_id))
        .where(_C.status == CommentStatus.VISIBLE.value)
        .order_by(_C.created_at.desc(), _C.id.desc())
    )


def _entries(session: Session, statement: Select[Any]) -> list[FeedEntry]:
    return [FeedEntry(*row) for row in session.execute(statement)]


def article_entries(session: Session, thread_id: int, limit: int) -> list[FeedEntry]:
    """The thread's newest visible comments, newest first, at most ``limit``."""
    return _entries(session, _newest_visible().where(_C.thread_id == thread_id).limit(limit))


def site_entries(session: Session, site: Site, limit: int) -> list[FeedEntry]:
    """The site's newest visible comments across its articles, newest first."""
    return _entries(session, _newest_visible().where(_T.site_id == site.id).limit(limit))


def site_version(session: Session, site: Site) -> int:
    """The site feed's freshness key: it grows with every write to any of its threads."""
    total = session.execute(
        select(func.coalesce(func.sum(_T.version), 0)).where(_T.site_id == site.id)
    ).scalar_one()
    return int(total)


def _xml_text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _entry_title(entry: FeedEntry, author: str, per_site: bool) -> str:
    if not per_site:
        return f"Comment by {author}"
    return f"Comment by {author} on {entry.article_title or entry.article_key}"


def render_feed(
    info: FeedInfo, entries: list[FeedEntry], comment_base: str, anonymous_name: str,
    *, per_site: bool,
) -> bytes:
    """The Atom document: ``entries`` newest first, each identified by its API URL
    (``comment_base`` + id) and linked to its place on the article's page."""
    # Loaded with the first feed a process builds, not at start: feedgen and lxml are
    # ~5 MiB of every worker's memory (measured RSS), and most workers never build one.
    from feedgen.feed import FeedGenerator

    feed = FeedGenerator()
    feed.id(info.feed_id)
    feed.title(_xml_text(info.title))
    feed.link(href=info.self_url, rel="self", type=ATOM_MIMETYPE)
    if info.article_url:
        feed.link(href=info.article_url, rel="alternate", type="text/html")
    feed.generator("comments_service")
    feed.updated(max((e.edited_at or e.created_at for e in entries), default=info.created_at))
    for entry in entries:
        author = _xml_text(entry.author_name or anonymous_name)
        item = feed.add_entry(order="append")
        item.id(f"{comment_base}{entry.comment_id}")
        item.title(_xml_text(_entry_title(entry, author, per_site)))
        item.author(name=author)
        item.published(entry.created_at)
        item.updated(entry.edited_at or entry.created_at)
        item.content(_xml_text(entry.body_html), type="html")
        if entry.article_url:
            item.link(href=comment_url(entry.article_url, entry.comment_id), rel="alternate",
                      type="text/html")
    return feed.atom_str(pretty=False)
