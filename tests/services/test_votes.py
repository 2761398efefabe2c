"""services/votes.py: Wilson ranks, one vote per reader, switch, undo, caps, and counters
that survive concurrent votes."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from comments_service.errors import (
    AddressVoteLimit,
    CommentGone,
    CommentNotFound,
    DownvotesDisabled,
    ThreadLocked,
    ValidationFailed,
    VotesOff,
)
from comments_service.extensions import db
from comments_service.models import Comment, Site, Thread, Vote
from comments_service.services import sites, votes
from comments_service.services.sites import create_site
from comments_service.services.threads import find_thread, read_thread
from comments_service.services.votes import rank_of, wilson_lower_bound
from tests.services.test_moderation import SETTINGS, START, VOTE_RULES, act, actor_for, add

RULES = SETTINGS.votes
WITH_DOWN = replace(RULES, downvotes=True)
NOW = START + timedelta(minutes=30)


def reader(number: int, address: str = "addr-1") -> votes.Voter:
    return votes.voter(f"reader-token-{number:08d}", address, "s3cret")


def vote(session: Session, site: Site, comment_id: int, value: int, who: votes.Voter,
         rules=WITH_DOWN) -> votes.VoteState:
    state = votes.cast_vote(session, site, comment_id, value, who, rules, NOW)
    session.commit()
    return state


def undo(session: Session, site: Site, comment_id: int, who: votes.Voter) -> votes.VoteState:
    state = votes.retract_vote(session, site, comment_id, who, RULES)
    session.commit()
    return state


def stored(session: Session, comment_id: int) -> tuple[int, int, int, int]:
    row = session.execute(
        select(Comment.upvotes, Comment.downvotes, Comment.score, Comment.rank)
        .where(Comment.id == comment_id)
    ).one()
    return tuple(row)


def counted(session: Session, comment_id: int) -> tuple[int, int]:
    """(up, down) by counting the vote rows: what the counters must equal."""
    values = session.execute(select(Vote.value).where(Vote.comment_id == comment_id)).scalars()
    values = list(values)
    return values.count(1), values.count(-1)


# ---- the rank ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("positive", "total", "expected"),
    [
        # Lower ends of the 95% Wilson score interval, as published (e.g. Newcombe 1998,
        # Table I; Wikipedia "Binomial proportion confidence interval").
        (1, 1, 0.2065),
        (5, 10, 0.2366),
        (10, 10, 0.7225),
        (90, 100, 0.8256),
        (0, 10, 0.0),
        (0, 0, 0.0),
    ],
)
def test_wilson_lower_bound_matches_published_values(positive, total, expected) -> None:
    assert wilson_lower_bound(positive, total) == pytest.approx(expected, abs=1e-4)


def test_rank_prefers_more_evidence_over_a_higher_raw_share() -> None:
    assert rank_of(10, 0) > rank_of(1, 0)
    assert rank_of(60, 40) > rank_of(6, 4)
    assert rank_of(9, 1) > rank_of(1, 0)
    assert rank_of(1, 0) == round(wilson_lower_bound(1, 1) * 1_000_000)


def test_rank_without_votes_is_zero_and_only_down_votes_sink_below_it() -> None:
    assert rank_of(0, 0) == 0
    assert 0 > rank_of(0, 1) > rank_of(0, 5) > rank_of(0, 50)
    assert rank_of(1, 100) > 0


def test_every_up_vote_raises_a_rank_and_every_down_vote_lowers_it() -> None:
    for up in range(30):
        for down in range(30):
            if up or down:
                assert rank_of(up + 1, down) > rank_of(up, down), (up, down)
                assert rank_of(up, down + 1) < rank_of(up, down), (up, down)


# ---- one vote per reader ----------------------------------------------------------


def test_a_vote_counts_once_and_the_same_vote_again_changes_nothing(session, site_row) -> None:
    top = add(session, site_row, "top")
    version = find_thread(session, site_row, "a1").version  # type: ignore[union-attr]
    first = vote(session, site_row, top, 1, reader(1))
    assert (first.upvotes, first.downvotes, first.score, first.my_vote) == (1, 0, 1, 1)
    again = vote(session, site_row, top, 1, reader(1))
    assert again == first
    assert stored(session, top) == (1, 0, 1, rank_of(1, 0))
    assert counted(session, top) == (1, 0)
    # One change, one new thread version (the ETag of its pages).
    assert find_thread(session, site_row, "a1").version == version + 1  # type: ignore[union-attr]


def test_switching_up_to_down_moves_both_counters(session, site_row) -> None:
    top = add(session, site_row, "top")
    vote(session, site_row, top, 1, reader(1, "addr-1"))
    vote(session, site_row, top, 1, reader(2, "addr-2"))
    state = vote(session, site_row, top, -1, reader(1, "addr-1"))
    assert (state.upvotes, state.downvotes, state.score, state.my_vote) == (1, 1, 0, -1)
    assert stored(session, top) == (1, 1, 0, rank_of(1, 1))
    state = vote(session, site_row, top, 1, reader(1, "addr-1"))
    assert stored(session, top) == (2, 0, 2, rank_of(2, 0))
    assert counted(session, top) == (2, 0)


def test_undo_removes_the_vote_and_undo_without_one_changes_nothing(session, site_row) -> None:
    top = add(session, site_row, "top")
    vote(session, site_row, top, -1, reader(1))
    state = undo(session, site_row, top, reader(1))
    assert (state.upvotes, state.downvotes, state.score, state.my_vote) == (0, 0, 0, 0)
    assert stored(session, top) == (0, 0, 0, 0)
    version = find_thread(session, site_row, "a1").version  # type: ignore[union-attr]
    assert undo(session, site_row, top, reader(1)) == state
    assert find_thread(session, site_row, "a1").version == version  # type: ignore[union-attr]
    assert counted(session, top) == (0, 0)


def test_the_reader_token_is_stored_only_as_a_keyed_hash(session, site_row) -> None:
    top = add(session, site_row, "top")
    vote(session, site_row, top, 1, reader(7))
    key = session.execute(select(Vote.voter_key)).scalar_one()
    assert "reader-token" not in key
    assert key == votes.voter("reader-token-00000007", "elsewhere", "s3cret").voter_key
    assert key != votes.voter("reader-token-00000007", "elsewhere", "other").voter_key


@pytest.mark.parametrize("token", [None, "", "short", "x" * 257, "has spaces in it, sixteen+"])
def test_a_missing_or_odd_reader_token_is_refused(token) -> None:
    with pytest.raises(ValidationFailed) as caught:
        votes.voter(token, "addr", "s3cret")
    assert "X-Reader-Token" in caught.value.fields


def test_a_value_other_than_up_or_down_is_refused(session, site_row) -> None:
    top = add(session, site_row, "top")
    with pytest.raises(ValidationFailed):
        vote(session, site_row, top, 2, reader(1))


# ---- what may be voted on ---------------------------------------------------------


def test_down_votes_are_refused_unless_the_site_takes_them(session, site_row) -> None:
    top = add(session, site_row, "top")
    with pytest.raises(DownvotesDisabled):
        vote(session, site_row, top, -1, reader(1), rules=RULES)
    sites.update_site(session, actor_for(site_row), site_row, sites.SiteChanges(downvotes=True),
                      rules=SETTINGS.moderation, votes=VOTE_RULES, now=NOW)
    session.commit()
    assert vote(session, site_row, top, -1, reader(1), rules=RULES).downvotes == 1
    # A site may also refuse them where the service takes them by default.
    other = create_site(session, "other", "Other", [], NOW)
    other.settings = {"downvotes": False}
    session.commit()
    elsewhere = add(session, other, "elsewhere")
    with pytest.raises(DownvotesDisabled):
        vote(session, other, elsewhere, -1, reader(1), rules=WITH_DOWN)


def test_votes_off_refuses_every_vote(session, site_row) -> None:
    top = add(session, site_row, "top")
    with pytest.raises(VotesOff):
        vote(session, site_row, top, 1, reader(1), rules=replace(RULES, enabled=False))


def test_hidden_deleted_and_foreign_comments_cannot_be_voted_on(session, site_row) -> None:
    actor = actor_for(site_row)
    hidden = add(session, site_row, "hidden")
    act(session, actor, hidden, "hide")
    parent = add(session, site_row, "parent", minute=1)
    add(session, site_row, "child", parent, minute=2)
    act(session, actor, parent, "delete")
    other = create_site(session, "other", "Other", [], NOW)
    session.commit()
    foreign = add(session, other, "theirs")

    with pytest.raises(CommentNotFound):
        vote(session, site_row, hidden, 1, reader(1))
    with pytest.raises(CommentGone):
        vote(session, site_row, parent, 1, reader(1))
    with pytest.raises(CommentNotFound):
        vote(session, site_row, foreign, 1, reader(1))
    with pytest.raises(CommentNotFound):
        undo(session, site_row, hidden, reader(1))


def test_a_locked_thread_takes_no_votes_nor_undos(session, site_row) -> None:
    top = add(session, site_row, "top")
    vote(session, site_row, top, 1, reader(1))
    thread_id = session.get(Comment, top).thread_id  # type: ignore[union-attr]
    session.execute(update(Thread).where(Thread.id == thread_id).values(is_locked=True))
    session.commit()
    with pytest.raises(ThreadLocked):
        vote(session, site_row, top, 1, reader(2, "addr-2"))
    with pytest.raises(ThreadLocked):
        undo(session, site_row, top, reader(1))
    assert stored(session, top)[0] == 1


# ---- the cap per client address ---------------------------------------------------


def test_a_new_reader_token_from_the_same_address_gets_no_second_vote(session, site_row) -> None:
    top = add(session, site_row, "top")
    vote(session, site_row, top, 1, reader(1, "addr-1"))
    with pytest.raises(AddressVoteLimit):
        vote(session, site_row, top, 1, reader(2, "addr-1"))
    # The first reader may still switch and undo; another address may vote.
    assert vote(session, site_row, top, -1, reader(1, "addr-1")).my_vote == -1
    assert vote(session, site_row, top, 1, reader(3, "addr-2")).upvotes == 1
    undo(session, site_row, top, reader(1, "addr-1"))
    assert vote(session, site_row, top, 1, reader(2, "addr-1")).upvotes == 2


@pytest.mark.parametrize(("cap", "allowed"), [(3, 3), (0, 6)])
def test_the_address_cap_is_configurable_and_zero_turns_it_off(session, site_row, cap, allowed):
    top = add(session, site_row, "top")
    rules = replace(WITH_DOWN, per_address=cap)
    accepted = 0
    for number in range(6):
        try:
            vote(session, site_row, top, 1, reader(number, "office-nat"), rules=rules)
            accepted += 1
        except AddressVoteLimit:
            session.rollback()
    assert accepted == allowed
    assert stored(session, top)[0] == allowed


# ---- the reader's own votes, the top sort, purge ------------------------------------


def test_my_votes_lists_only_this_reader_s_votes_among_the_asked_comments(
    session, site_row
) -> None:
    first, second, third = (add(session, site_row, f"c{i}", minute=i) for i in range(3))
    vote(session, site_row, first, 1, reader(1, "a"))
    vote(session, site_row, second, -1, reader(1, "a"))
    vote(session, site_row, third, 1, reader(2, "b"))
    assert votes.my_votes(session, site_row, reader(1, "x"), [first, second, third]) == {
        first: 1, second: -1}
    assert votes.my_votes(session, site_row, reader(1, "x"), [third]) == {}
    other = create_site(session, "other", "Other", [], NOW)
    assert votes.my_votes(session, other, reader(1, "x"), [first, second]) == {}


def test_up_votes_move_a_comment_up_the_top_sort(session, site_row) -> None:
    older, newer = add(session, site_row, "older"), add(session, site_row, "newer", minute=1)

    def top_order() -> list[int]:
        page = read_thread(session, find_thread(session, site_row, "a1"), sort="top",
                           cursor=None, limit=10, replies_per_comment=0)
        return [node.id for node in page.comments]

    assert top_order() == [newer, older]
    vote(session, site_row, older, 1, reader(1))
    assert top_order() == [older, newer]
    vote(session, site_row, newer, 1, reader(2, "addr-2"))
    vote(session, site_row, newer, 1, reader(3, "addr-3"))
    assert top_order() == [newer, older]


def test_purging_a_comment_deletes_its_votes(session, site_row) -> None:
    top = add(session, site_row, "top")
    vote(session, site_row, top, 1, reader(1))
    act(session, actor_for(site_row), top, "purge")
    assert session.execute(select(func.count()).select_from(Vote)).scalar_one() == 0


# ---- concurrency --------------------------------------------------------------------


def test_concurrent_votes_lose_no_increment(app: Flask, site: str) -> None:
    """Readers voting on one comment at the same moment, each in its own transaction."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("real concurrent writers need PostgreSQL (SQLite has one writer)")
        site_row = db.session.execute(select(Site).where(Site.slug == site)).scalar_one()
        top = add(db.session, site_row, "popular")
        db.session.remove()

    readers = 12
    start = threading.Barrier(readers)
    failures: list[BaseException] = []

    def cast(number: int) -> None:
        try:
            with app.app_context():
                row = db.session.execute(select(Site).where(Site.slug == site)).scalar_one()
                start.wait(timeout=30)
                value = 1 if number % 3 else -1
                votes.cast_vote(db.session, row, top, value,
                                reader(number, f"addr-{number}"), WITH_DOWN, NOW)
                db.session.commit()
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)

    workers = [threading.Thread(target=cast, args=(n,)) for n in range(readers)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert failures == []
    with app.app_context():
        up, down = counted(db.session, top)
        assert (up, down) == (8, 4)
        assert stored(db.session, top) == (8, 4, 4, rank_of(8, 4))
        db.session.remove()


def test_one_reader_switching_in_several_requests_at_once_moves_counters_once(
    app: Flask, site: str
) -> None:
    """A reader's double clicks, sent together: the counters still equal the rows."""
    with app.app_context():
        site_row = db.session.execute(select(Site).where(Site.slug == site)).scalar_one()
        top = add(db.session, site_row, "double click")
        vote(db.session, site_row, top, 1, reader(1))
        db.session.remove()

    requests = 6
    start = threading.Barrier(requests)
    failures: list[BaseException] = []

    def switch() -> None:
        try:
            with app.app_context():
                row = db.session.execute(select(Site).where(Site.slug == site)).scalar_one()
                start.wait(timeout=30)
                votes.cast_vote(db.session, row, top, -1, reader(1), WITH_DOWN, NOW)
                db.session.commit()
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)

    workers = [threading.Thread(target=switch) for _ in range(requests)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert failures == []
    with app.app_context():
        assert counted(db.session, top) == (0, 1)
        assert stored(db.session, top) == (0, 1, -1, rank_of(0, 1))
        db.session.remove()


def test_readers_of_one_address_voting_at_once_get_one_vote_between_them(
    app: Flask, site: str
) -> None:
    """Several browsers behind one address, voting together: the cap still holds."""
    with app.app_context():
        site_row = db.session.execute(select(Site).where(Site.slug == site)).scalar_one()
        top = add(db.session, site_row, "one address")
        db.session.remove()

    requests = 6
    start = threading.Barrier(requests)
    outcomes: list[str] = []

    def cast(number: int) -> None:
        with app.app_context():
            row = db.session.execute(select(Site).where(Site.slug == site)).scalar_one()
            start.wait(timeout=30)
            try:
                votes.cast_vote(db.session, row, top, 1, reader(number, "shared"), RULES, NOW)
                db.session.commit()
                outcomes.append("counted")
            except AddressVoteLimit:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    workers = [threading.Thread(target=cast, args=(n,)) for n in range(requests)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert sorted(outcomes) == ["counted"] + ["refused"] * (requests - 1)
    with app.app_context():
        assert stored(db.session, top)[0] == 1
        assert counted(db.session, top) == (1, 0)
        db.session.remove()
