"""Writing comments: post and reply, in the caller's transaction (edits: author_edits.py).

Untrusted input goes through one fixed order (as Remark42's PrepareUntrusted):
the client can set only the draft's fields (ids, times, status and counts are
never taken from it), then lengths, addresses and URLs are validated, then the
body is rendered and sanitized. Services flush; the caller commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, String, bindparam, case, false, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from comments_service import sanitize
from comments_service.config import (
    CommentSettings,
    PassageSettings,
)
from comments_service.errors import (
    Banned,
    ThreadLocked,
    ValidationFailed,
)
from comments_service.events import NO_EVENTS, CommentChange, CommentEvent, EventSink
from comments_service.models import (
    Comment,
    CommentStatus,
    Site,
    Thread,
    attach_loaded,
    path_segment,
)
from comments_service.services import bans, moderation, readers, spam
from comments_service.services import notifications as notify_rules
from comments_service.services import passages as passage_rules
from comments_service.services.drafts import CleanDraft, CommentDraft, validate_draft
from comments_service.services.readers import Reader


@dataclass(frozen=True)
class Author:
    """Who is writing: the hashed client address and the server secret for derived hashes,
    and the signed-in reader, if any (services/readers.py)."""

    client_hash: str | None
    secret: str
    reader: Reader | None = None


@dataclass(frozen=True)
class PostedComment:
    comment: Comment
    edit_token: str
    editable_until: datetime
    # The article's key as stored (trimmed): the view addresses the live channel by it.
    article_key: str
    anchor: passage_rules.Anchor | None = None


# ---- tokens -------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def avatar_seed(secret: str, email: str | None, name: str | None, client_hash: str | None) -> str:
    """A keyed hash of who wrote a comment, for drawing its avatar (importers use it too)."""
    identity = (email or name or client_hash or "anonymous").lower()
    return hmac.new(secret.encode(), identity.encode(), hashlib.sha256).hexdigest()[:16]


def attach_point(parent_path: str, max_depth: int) -> tuple[int | None, str, int]:
    """(parent id, parent path, depth) for a reply to the comment at parent_path.

    A reply deeper than max_depth attaches beside its parent, under the ancestor at
    the cap; with max_depth 0 every reply is top-level.
    """
    segments = parent_path.split(".")
    keep = min(len(segments), max_depth)
    if keep == 0:
        return None, "", 0
    return int(segments[keep - 1]), ".".join(segments[:keep]), keep


# ---- threads ------------------------------------------------------------------


# Built once, not per post: building these statements and expressions cost about as
# much as running them (profiled). They are Core statements with bound values: the
# ORM's unit of work (its flush of dirty attributes, its bulk-update path evaluating
# criteria against the session) cost more than the SQL itself (profiled: ~20% of a
# reply). Counters move by SQL expressions, so concurrent posts never lose an update.
_THREADS = Thread.__table__.c
_COUNT_NEW_COMMENT = (
    Thread.__table__.update()
    .where(_THREADS.id == bindparam("target_id"))
    .values(
        total_count=_THREADS.total_count + 1,
        visible_count=_THREADS.visible_count + bindparam("visible_step", type_=Integer),
        version=_THREADS.version + 1,
        last_comment_at=bindparam("comment_at", type_=_THREADS.last_comment_at.type),
    )
)
# What the ORM would reload after the UPDATE above (expired on the loaded thread).
_THREAD_COUNTERS = ("total_count", "visible_count", "version")

_COMMENTS = Comment.__table__.c
_NEW_ID = bindparam("new_id", type_=Integer)
# A top-level comment is its own root; its path is its own id.
_PLACE_COMMENT = (
    Comment.__table__.update()
    .where(_COMMENTS.id == _NEW_ID)
    .values(path=bindparam("new_path", type_=String), root_id=_NEW_ID)
)
# A reply: its path (known once its id is), its parent's child count and its root's
# reply count, in one statement instead of three.
_ATTACH_ID = bindparam("attach_id", type_=Integer)
_ROOT_ID = bindparam("root_target", type_=Integer)
_PLACE_REPLY = (
    Comment.__table__.update()
    .where(_COMMENTS.id.in_([_NEW_ID, _ATTACH_ID, _ROOT_ID]))
    .values(
        path=case((_COMMENTS.id == _NEW_ID, bindparam("new_path", type_=String)),
                  else_=_COMMENTS.path),
        child_count=_COMMENTS.child_count + case((_COMMENTS.id == _ATTACH_ID, 1), else_=0),
        reply_count=_COMMENTS.reply_count
        + case((_COMMENTS.id == _ROOT_ID, bindparam("reply_step", type_=Integer)), else_=0),
    )
)


def _place_comment(
    session: Session,
    comment_id: int,
    attach_id: int | None,
    attach_path: str,
    root_id: int | None,
    is_visible: bool,
) -> tuple[str, int]:
    """Write a new comment's path (and a reply's ancestors' counters) after its insert.

    Returns the comment's (path, root id). A pending reply counts as its parent's
    child, not in its root's reply count. The counters of an ancestor already loaded
    in the session expire, as the ORM's synchronization of an UPDATE would.
    """
    own = path_segment(comment_id)
    path = f"{attach_path}.{own}" if attach_path else own
    if attach_id is None or root_id is None:
        session.execute(_PLACE_COMMENT, {"new_id": comment_id, "new_path": path})
        return path, comment_id
    session.execute(_PLACE_REPLY, {
        "new_id": comment_id, "new_path": path, "attach_id": attach_id,
        "root_target": root_id, "reply_step": 1 if is_visible else 0,
    })
    _expire_loaded(session, attach_id, "child_count")
    if is_visible:
        _expire_loaded(session, root_id, "reply_count")
    return path, root_id


_INSERT_COMMENT = Comment.__table__.insert()


def _loaded_copy(session: Session, comment_id: int, row: dict[str, object]) -> Comment:
    """The comment just inserted as a persistent object of the session, without a query."""
    return attach_loaded(session, Comment, {"id": comment_id, **row})


def _expire_loaded(session: Session, comment_id: int, counter: str) -> None:
    loaded = session.identity_map.get(identity_key(Comment, comment_id))
    if loaded is not None:
        session.expire(loaded, [counter])


def _count_new_comment(session: Session, thread: Thread, is_visible: bool, now: datetime) -> None:
    """The thread's counters and version for a new comment; pending ones are not visible."""
    session.execute(_COUNT_NEW_COMMENT, {
        "target_id": thread.id, "visible_step": 1 if is_visible else 0, "comment_at": now,
    })
    session.expire(thread, _THREAD_COUNTERS)
    set_committed_value(thread, "last_comment_at", now)


_THREAD_BY_ARTICLE = select(Thread).where(
    Thread.site_id == bindparam("site_id"), Thread.article_key == bindparam("article_key")
)
@lru_cache(maxsize=8)
def _thread_for_post(is_banned: ColumnElement[bool] | None, is_reply: bool) -> Select[Any]:
    """What a post reads of its thread, in one round trip: the row, whether anyone
    follows it, whether the author is banned (services/bans.py), and for a reply the
    comment it answers. Built once per kind of post and ban lookup."""
    statement = select(
        Thread,
        notify_rules.THREAD_HAS_SUBSCRIPTIONS,
        false().label("is_banned") if is_banned is None else is_banned,
    ).where(Thread.site_id == bindparam("site_id"),
            Thread.article_key == bindparam("article_key"))
    if not is_reply:
        return statement
    return statement.add_columns(Comment).outerjoin(
        Comment, Comment.id == bindparam("parent_id")
    )


@dataclass(frozen=True)
class _Found:
    thread: Thread | None
    parent: Comment | None
    may_have_subscribers: bool


def _find_thread(
    session: Session, site: Site, article_key: str, parent_id: int | None, ban: bans.BanCheck
) -> _Found:
    """The article's thread (None before its first comment), whether it had any
    subscription, and the comment ``parent_id`` names (None when it does not exist).

    Raises Banned first when ``ban`` finds an active ban of the author.
    """
    params: dict[str, object] = {**ban.params, "site_id": site.id, "article_key": article_key}
    if parent_id is not None:
        params["parent_id"] = parent_id
    statement = _thread_for_post(ban.is_banned, parent_id is not None)
    row = session.execute(statement, params).one_or_none()
    if row is None:
        # No thread yet, so no row to carry the ban lookup: it runs on its own. The
        # parent, if it exists, is in another thread.
        ban.run(session)
        parent = session.get(Comment, parent_id) if parent_id is not None else None
        return _Found(None, parent, False)
    if row.is_banned:
        raise Banned()
    return _Found(row[0], row[3] if parent_id is not None else None, row[1])


def _fill_in_thread(thread: Thread, title: str | None, url: str | None) -> Thread:
    if title and not thread.title:
        thread.title = title
    if url and not thread.url:
        thread.url = url
    return thread


def _create_thread(
    session: Session,
    site: Site,
    article_key: str,
    title: str | None,
    url: str | None,
    now: datetime,
) -> tuple[Thread, bool]:
    """(the new thread, True), or (another request's, False) when it won the race."""
    thread = Thread(
        site_id=site.id,
        article_key=article_key,
        title=title,
        url=url,
        is_locked=False,
        total_count=0,
        visible_count=0,
        version=0,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(thread)
    except IntegrityError:
        # Another request created it between our read and insert: use theirs.
        params = {"site_id": site.id, "article_key": article_key}
        return session.execute(_THREAD_BY_ARTICLE, params).scalar_one(), False
    return thread, True


def get_or_create_thread(
    session: Session,
    site: Site,
    article_key: str,
    title: str | None,
    url: str | None,
    now: datetime,
) -> Thread:
    """The article's thread, created on first use; safe when two first posts race."""
    thread = session.execute(
        _THREAD_BY_ARTICLE, {"site_id": site.id, "article_key": article_key}
    ).scalar_one_or_none()
    if thread is not None:
        return _fill_in_thread(thread, title, url)
    return _create_thread(session, site, article_key, title, url, now)[0]


# ---- posting ------------------------------------------------------------------


def _screen(
    session: Session, site: Site, clean: CleanDraft, body_html: str, is_reply: bool,
    author: Author, screening: spam.Screening | None, now: datetime,
) -> CommentStatus:
    """The spam rules' verdict (visible or pending), before any write: the checker may
    take its timeout."""
    if screening is None:
        return CommentStatus.VISIBLE
    candidate = spam.Candidate(
        body=clean.body,
        body_html=body_html,
        author_name=clean.author_name,
        author_email=clean.author_email,
        author_website=clean.author_website,
        permalink=clean.url,
        is_reply=is_reply,
        article_key=clean.article_key,
    )
    return spam.judge(session, site, candidate, author.client_hash, author.secret, screening, now)


def _open_thread(
    session: Session, site: Site, clean: CleanDraft, found: _Found, now: datetime
) -> tuple[Thread, bool]:
    """The thread to post in (created on its first comment) and whether anyone may follow it.

    Raises ThreadLocked.
    """
    may_have_subscribers = found.may_have_subscribers
    if found.thread is not None:
        thread = _fill_in_thread(found.thread, clean.title, clean.url)
    else:
        thread, is_new = _create_thread(
            session, site, clean.article_key, clean.title, clean.url, now
        )
        # Another request's thread may have been followed since.
        may_have_subscribers = not is_new
    if thread.is_locked:
        raise ThreadLocked()
    return thread, may_have_subscribers


def _attachment(
    parent: Comment | None, thread: Thread, rules: CommentSettings
) -> tuple[int | None, str, int]:
    """(parent id, parent path, depth) where the new comment goes; raises ValidationFailed
    for a parent in another thread or no longer shown."""
    if parent is None:
        return None, "", 0
    if parent.thread_id != thread.id:
        raise ValidationFailed(fields={"parent_id": "That comment is in another thread."})
    if parent.status != CommentStatus.VISIBLE.value:
        raise ValidationFailed(fields={"parent_id": "That comment is no longer shown."})
    return attach_point(parent.path, rules.max_depth)


def _insert_comment(
    session: Session, thread: Thread, clean: CleanDraft, body_html: str,
    parent: Comment | None, status: CommentStatus, author: Author, rules: CommentSettings,
    now: datetime,
) -> tuple[Comment, str]:
    """Insert the comment with its path and counters; returns it (loaded) and its edit token."""
    attach_id, attach_path, depth = _attachment(parent, thread, rules)
    token = secrets.token_urlsafe(32)
    root_id = int(attach_path.split(".")[0]) if attach_path else None
    # Every column, so that the loaded copy below has nothing left to read.
    row: dict[str, object] = {
        "thread_id": thread.id,
        "parent_id": attach_id,
        "reply_to_id": parent.id if parent is not None else None,
        "root_id": root_id,
        "depth": depth,
        "path": "",
        "author_name": clean.author_name or rules.anonymous_name,
        "author_email": clean.author_email,
        "author_website": clean.author_website,
        "avatar_seed": avatar_seed(
            author.secret, clean.author_email, clean.author_name, author.client_hash
        ),
        "body_markdown": clean.body,
        "body_html": body_html,
        "status": status.value,
        "status_reason": None,
        "score": 0,
        "upvotes": 0,
        "downvotes": 0,
        "rank": 0,
        "is_pinned": False,
        "flag_count": 0,
        "child_count": 0,
        "reply_count": 0,
        "created_at": now,
        "edited_at": None,
        "client_hash": author.client_hash,
        "edit_token_hash": token_hash(token),
        "import_key": None,
        "identity_id": author.reader.identity_id if author.reader is not None else None,
        "author_picture": author.reader.avatar_url if author.reader is not None else None,
    }
    # A Core INSERT, then the path UPDATE and the counters: through the ORM's unit of
    # work the insert cost about twice as much CPU as its SQL (profiled).
    comment_id = session.execute(_INSERT_COMMENT, row).inserted_primary_key[0]
    # A pending comment counts in the total and as its parent's child, not as visible.
    is_visible = status == CommentStatus.VISIBLE
    _count_new_comment(session, thread, is_visible, now)
    row["path"], row["root_id"] = _place_comment(
        session, comment_id, attach_id, attach_path, root_id, is_visible
    )
    return _loaded_copy(session, comment_id, row), token


def post_comment(
    session: Session,
    site: Site,
    draft: CommentDraft,
    author: Author,
    rules: CommentSettings,
    now: datetime,
    *,
    events: EventSink = NO_EVENTS,
    screening: spam.Screening | None = None,
    passages: PassageSettings | None = None,
) -> PostedComment:
    """Store a new comment or reply; create the article's thread on its first comment.

    A reply deeper than ``rules.max_depth`` attaches beside its parent, at the cap,
    remembering in reply_to_id the comment it answered. With ``screening`` the
    spam rules judge it first (services/spam.py): one held as spam is stored as
    pending, counted in the thread's total but not shown; so is every comment
    under pre-moderation (site or thread). Emits "published" (visible) or
    "held" (pending) to ``events`` once the comment is stored: the author's
    notify choice and the comment's outbox rows are written by the app's
    subscribers in the same transaction (events.py). A draft's anchor is checked against
    ``passages`` and stored with the comment. Raises ValidationFailed (bad fields, unknown
    parent, parent in another thread or not visible), Banned, ThreadLocked, and
    with screening DuplicateComment and SpamRejected.
    """
    clean = validate_draft(readers.draft_for(session, site, draft, author.reader), rules,
                           passages)
    body_html = sanitize.render(clean.body)
    # moderation: a banned author (by email or network) posts nothing; asked with the
    # thread's read.
    ban = bans.ban_check(site, clean.author_email, author.client_hash, author.secret, now)
    found = _find_thread(session, site, clean.article_key, draft.parent_id, ban)
    if draft.parent_id is not None and found.parent is None:
        raise ValidationFailed(fields={"parent_id": "That comment does not exist."})
    status = _screen(session, site, clean, body_html, found.parent is not None, author,
                     screening, now)
    thread, may_have_subscribers = _open_thread(session, site, clean, found, now)
    # moderation: pre-moderated comments wait as pending until approved.
    if status == CommentStatus.VISIBLE and moderation.is_premoderated(site, thread):
        status = CommentStatus.PENDING
    comment, token = _insert_comment(session, thread, clean, body_html, found.parent, status,
                                     author, rules, now)
    if clean.anchor is not None:
        passage_rules.attach_anchor(session, comment, clean.anchor)
    if clean.notify != "none" and readers.has_verified(author.reader, clean.author_email):
        readers.confirm_verified(session, clean.author_email, author.secret, now)
    session.flush()
    # Notifications (issue 5) and live updates subscribe: outbox rows commit with the
    # comment, live events go out after the commit.
    events.emit(session, CommentChange(
        CommentEvent.PUBLISHED if status == CommentStatus.VISIBLE else CommentEvent.HELD,
        comment, now, site_id=site.id, article_key=clean.article_key, thread=thread,
        notify=clean.notify, may_have_subscribers=may_have_subscribers,
        language=clean.language,
    ))
    return PostedComment(
        comment=comment,
        edit_token=token,
        editable_until=now + timedelta(seconds=rules.edit_window_seconds),
        anchor=clean.anchor,
        article_key=clean.article_key,
    )
