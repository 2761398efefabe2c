"""Votes: readers' up (and, where a site allows, down) votes, and the rank "top" sorts by.

Who votes. Readers are anonymous: the widget keeps a random reader token in the
host page's localStorage and sends it as X-Reader-Token. A vote is stored under
an HMAC of that token with the secret key (voter_key), never the token, and the
unique (comment_id, voter_key) makes it one vote per reader per comment.
Clearing localStorage makes a new reader, so each vote also keeps a keyed hash
of the client's address (clients.rate_key: an IPv4 address or an IPv6 /64), and
at most ``[votes] per_address`` readers of one address may vote on one comment
(1 by default; readers sharing an address through an office or carrier NAT share
that allowance; 0 turns the cap off).

Counters. upvotes, downvotes, score (net votes, what readers see) and rank live
on the comment and move in the vote's transaction by SQL expressions, with the
comment's row locked (FOR UPDATE on PostgreSQL; SQLite has one writer at a
time), so concurrent votes never lose an increment. Each change also bumps the
thread's version, so a thread page's ETag changes with the counts it shows.

Rank. The lower bound of the Wilson score interval (95%) for the share of up
votes: a comment with 10 of 10 up votes ranks above one with 1 of 1, and one
with 60 of 100 above one with 6 of 10. Stored times 1e6 as an integer, which
compares and pages exactly on every backend. A comment without votes ranks 0;
one with only down votes ranks below that, at minus the same bound for its share
of down votes, so more down votes sink it further (every up vote raises a rank,
every down vote lowers it).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from comments_service.config import VoteSettings
from comments_service.errors import (
    AddressVoteLimit,
    CommentGone,
    CommentNotFound,
    DownvotesDisabled,
    ThreadLocked,
    ValidationFailed,
    VotesOff,
)
from comments_service.models import Comment, CommentStatus, Site, Thread, Vote

Z_95 = 1.959963984540054
"""The standard normal quantile for a two-sided 95% interval."""

RANK_SCALE = 1_000_000
READER_HEADER = "X-Reader-Token"
MIN_READER_TOKEN = 16
MAX_READER_TOKEN = 256
_TOKEN = re.compile(r"^[A-Za-z0-9_.~-]+$")
LOCKED_MESSAGE = "This thread is closed: no new comments or votes."


def wilson_lower_bound(positive: int, total: int, z: float = Z_95) -> float:
    """The lower end of the Wilson score interval for positive/total (0 when total is 0)."""
    if total <= 0:
        return 0.0
    share = positive / total
    z2 = z * z
    centre = share + z2 / (2 * total)
    spread = z * math.sqrt((share * (1 - share) + z2 / (4 * total)) / total)
    return max(0.0, (centre - spread) / (1 + z2 / total))


def rank_of(upvotes: int, downvotes: int) -> int:
    """The stored rank of a comment with these votes (see the module's docstring)."""
    if upvotes > 0:
        return round(wilson_lower_bound(upvotes, upvotes + downvotes) * RANK_SCALE)
    if downvotes > 0:
        return -round(wilson_lower_bound(downvotes, downvotes) * RANK_SCALE)
    return 0


@dataclass(frozen=True)
class Voter:
    """A reader as votes know them: keyed hashes of their token and of their address."""

    voter_key: str
    address_key: str


def voter(reader_token: str | None, address_key: str, secret: str) -> Voter:
    """The voter behind a reader token. Raises ValidationFailed for a missing or odd token."""
    token = (reader_token or "").strip()
    if not token:
        problem = "Send the widget's random reader token to vote."
    elif not MIN_READER_TOKEN <= len(token) <= MAX_READER_TOKEN or not _TOKEN.match(token):
        problem = (f"Use {MIN_READER_TOKEN} to {MAX_READER_TOKEN} letters, digits, "
                   "'-', '_', '.' or '~'.")
    else:
        digest = hmac.new(secret.encode(), f"vote\n{token}".encode(), hashlib.sha256)
        return Voter(voter_key=digest.hexdigest(), address_key=address_key)
    raise ValidationFailed(fields={READER_HEADER: problem})


def downvotes_allowed(site: Site, rules: VoteSettings) -> bool:
    """Whether the site takes down votes: its own setting, else the service's default."""
    value = (site.settings or {}).get("downvotes")
    return rules.downvotes if value is None else bool(value)


@dataclass(frozen=True)
class VoteState:
    """A comment's counts after a vote, and the reader's own vote on it (0: none)."""

    comment_id: int
    upvotes: int
    downvotes: int
    score: int
    my_vote: int


def _votable(session: Session, site: Site, comment_id: int) -> Comment:
    """The comment, row-locked, if readers may vote on it now; else the reason why not."""
    row = session.execute(
        select(Comment, Thread.is_locked)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Comment.id == comment_id, Thread.site_id == site.id)
        .with_for_update(of=Comment)
    ).one_or_none()
    if row is None:
        raise CommentNotFound()
    comment, is_locked = row
    if comment.status != CommentStatus.VISIBLE.value:
        # What the public sees: a placeholder when it has replies, else nothing.
        raise CommentGone() if comment.child_count > 0 else CommentNotFound()
    if is_locked:
        raise ThreadLocked(LOCKED_MESSAGE)
    return comment


def _own_vote(session: Session, comment_id: int, voter_key: str) -> Vote | None:
    return session.execute(
        select(Vote).where(Vote.comment_id == comment_id, Vote.voter_key == voter_key)
    ).scalar_one_or_none()


def _state(comment: Comment, my_vote: int) -> VoteState:
    return VoteState(comment_id=comment.id, upvotes=comment.upvotes,
                     downvotes=comment.downvotes, score=comment.score, my_vote=my_vote)


def _move(session: Session, comment: Comment, up: int, down: int) -> None:
    """Move the counters by (up, down), re-rank, and bump the thread's version."""
    counts = session.execute(
        update(Comment)
        .where(Comment.id == comment.id)
        .values(upvotes=Comment.upvotes + up, downvotes=Comment.downvotes + down,
                score=Comment.score + up - down)
        .returning(Comment.upvotes, Comment.downvotes)
        .execution_options(synchronize_session=False)
    ).one()
    session.execute(
        update(Comment)
        .where(Comment.id == comment.id)
        .values(rank=rank_of(counts.upvotes, counts.downvotes))
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Thread).where(Thread.id == comment.thread_id).values(version=Thread.version + 1)
    )
    session.refresh(comment, ["upvotes", "downvotes", "score", "rank"])


def _deltas(value: int) -> tuple[int, int]:
    return (1, 0) if value == 1 else (0, 1)


def cast_vote(
    session: Session,
    site: Site,
    comment_id: int,
    value: int,
    who: Voter,
    rules: VoteSettings,
    now: datetime,
) -> VoteState:
    """Record the reader's vote (+1 up, -1 down) on a comment; the same vote again changes nothing.

    Switching from up to down (or back) moves both counters. Raises VotesOff,
    ValidationFailed (value not 1 or -1), DownvotesDisabled, CommentNotFound
    (no public comment with that id on the site), CommentGone (a deleted
    placeholder), ThreadLocked and AddressVoteLimit (enough readers of this
    client address voted on it already).
    """
    if not rules.enabled:
        raise VotesOff()
    if value not in (1, -1):
        raise ValidationFailed(fields={"value": "Use 1 (up) or -1 (down)."})
    if value == -1 and not downvotes_allowed(site, rules):
        raise DownvotesDisabled()
    comment = _votable(session, site, comment_id)
    mine = _own_vote(session, comment.id, who.voter_key)
    if mine is not None and mine.value == value:
        return _state(comment, value)
    up, down = _deltas(value)
    if mine is not None:
        # Only if the vote is still what was read: a concurrent switch by the same reader
        # (where no row lock serializes them, as on SQLite) must not move counters twice.
        result = session.execute(
            update(Vote).where(Vote.id == mine.id, Vote.value == mine.value)
            .values(value=value).execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            old_up, old_down = _deltas(mine.value)
            _move(session, comment, up - old_up, down - old_down)
        return _state(comment, value)

    try:
        with session.begin_nested():
            session.add(Vote(comment_id=comment.id, voter_key=who.voter_key,
                             address_key=who.address_key, value=value, created_at=now))
            session.flush()
            # Counted after the insert, while this transaction writes: a reader of the
            # same address voting at the same moment is seen, on SQLite too.
            if rules.per_address > 0 and session.execute(
                select(func.count()).select_from(Vote).where(
                    Vote.comment_id == comment.id, Vote.address_key == who.address_key)
            ).scalar_one() > rules.per_address:
                raise AddressVoteLimit()
    except IntegrityError:
        # The same reader's other request won the race; its vote stands.
        raced = _own_vote(session, comment.id, who.voter_key)
        return _state(comment, raced.value if raced is not None else 0)
    _move(session, comment, up, down)
    return _state(comment, value)


def retract_vote(
    session: Session, site: Site, comment_id: int, who: Voter, rules: VoteSettings
) -> VoteState:
    """Undo the reader's vote on a comment; without one, nothing changes.

    Raises VotesOff, CommentNotFound, CommentGone and ThreadLocked as cast_vote does.
    """
    if not rules.enabled:
        raise VotesOff()
    comment = _votable(session, site, comment_id)
    removed = session.execute(
        delete(Vote)
        .where(Vote.comment_id == comment.id, Vote.voter_key == who.voter_key)
        .returning(Vote.value)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if removed is not None:
        up, down = _deltas(removed)
        _move(session, comment, -up, -down)
    return _state(comment, 0)


def my_votes(
    session: Session, site: Site, who: Voter, comment_ids: Sequence[int]
) -> dict[int, int]:
    """The reader's votes among these comments of the site: {comment id: 1 or -1}. One query."""
    ids = list(dict.fromkeys(comment_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Vote.comment_id, Vote.value)
        .join(Comment, Comment.id == Vote.comment_id)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Vote.voter_key == who.voter_key, Vote.comment_id.in_(ids),
               Thread.site_id == site.id)
    ).all()
    return {row.comment_id: row.value for row in rows}
