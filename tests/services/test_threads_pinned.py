"""services/threads.py with pins: a pinned top-level comment sorts first on every sort,
and keyset pages still cover every comment exactly once, in the same few queries."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from comments_service.models import Comment
from comments_service.services.threads import find_thread, read_thread
from tests.conftest import count_queries
from tests.services.test_moderation import act, actor_for, add


def pages(session, site, sort, limit):
    thread = find_thread(session, site, "a1")
    seen: list[list[int]] = []
    cursor = None
    while True:
        page = read_thread(session, thread, sort=sort, cursor=cursor, limit=limit,
                           replies_per_comment=0)
        seen.append([c.id for c in page.comments])
        cursor = page.next_cursor
        if cursor is None:
            return seen


@pytest.mark.parametrize("sort", ["oldest", "newest", "top"])
def test_a_pinned_comment_sorts_first_on_every_sort(session, site_row, sort) -> None:
    ids = [add(session, site_row, f"c{i}", minute=i) for i in range(5)]
    session.execute(update(Comment).where(Comment.id == ids[0]).values(rank=900_000))
    session.commit()
    act(session, actor_for(site_row), ids[3], "pin")
    [first_page] = pages(session, site_row, sort, limit=10)
    assert first_page[0] == ids[3]
    unpinned = {
        "oldest": [ids[0], ids[1], ids[2], ids[4]],
        "newest": [ids[4], ids[2], ids[1], ids[0]],
        "top": [ids[0], ids[4], ids[2], ids[1]],
    }[sort]
    assert first_page[1:] == unpinned
    assert [c.is_pinned for c in read_thread(
        session, find_thread(session, site_row, "a1"), sort=sort, cursor=None, limit=2,
        replies_per_comment=0).comments] == [True, False]


@pytest.mark.parametrize("sort", ["oldest", "newest", "top"])
def test_paging_across_the_pinned_boundary_has_no_gaps_or_repeats(session, site_row, sort):
    ids = [add(session, site_row, f"c{i}", minute=i) for i in range(7)]
    actor = actor_for(site_row)
    act(session, actor, ids[2], "pin")
    act(session, actor, ids[5], "pin")
    seen = pages(session, site_row, sort, limit=2)
    flat = [i for page in seen for i in page]
    assert sorted(flat) == sorted(ids)
    assert set(flat[:2]) == {ids[2], ids[5]}
    assert len(seen) == 4


def test_unpinning_puts_it_back_in_its_place(session, site_row) -> None:
    ids = [add(session, site_row, f"c{i}", minute=i) for i in range(3)]
    actor = actor_for(site_row)
    act(session, actor, ids[2], "pin")
    act(session, actor, ids[2], "unpin")
    assert pages(session, site_row, "oldest", limit=10) == [ids]


def test_a_page_with_pins_takes_the_same_queries(app, session, site_row) -> None:
    top = add(session, site_row, "top")
    add(session, site_row, "reply", top, minute=1)
    for i in range(3):
        add(session, site_row, f"c{i}", minute=i + 2)
    act(session, actor_for(site_row), top, "pin")
    thread = find_thread(session, site_row, "a1")
    with count_queries(app) as statements:
        page = read_thread(session, thread, sort="newest", cursor=None, limit=2,
                           replies_per_comment=5)
    assert page.comments[0].id == top
    assert [r.body_html for r in page.comments[0].replies] == ["<p>reply</p>"]
    assert len(statements) == 2  # top level, replies (the thread row was read before)
