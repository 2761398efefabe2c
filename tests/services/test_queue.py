"""services/queue.py: what waits for a decision, with its context, in two queries."""

from __future__ import annotations

import pytest

from comments_service.errors import InvalidCursor, NotYourSite
from comments_service.services import sites
from comments_service.services.flags import FlagDraft, flag_comment
from comments_service.services.queue import read_item, read_queue
from comments_service.services.sites import create_site
from tests.conftest import count_queries
from tests.services.test_moderation import (
    MOD_RULES,
    START,
    VOTE_RULES,
    act,
    actor_for,
    add,
)


def flag(session, site, comment_id, network, reason="spam", text=None):
    flag_comment(session, site, comment_id, FlagDraft(reason, text), network, None, MOD_RULES,
                 START)
    session.commit()


def queue(session, site_ids, **options):
    params = {"state": "all", "sort": "flags", "cursor": None, "limit": 10}
    params.update(options)
    return read_queue(session, site_ids, **params)


def test_an_item_comes_with_its_article_parent_and_flag_reasons(session, site_row) -> None:
    top = add(session, site_row, "The *original* point", article="big-story")
    reply = add(session, site_row, "rude reply", top, article="big-story", minute=1,
                email="rude@example.org")
    flag(session, site_row, reply, "net-1", "abuse")
    flag(session, site_row, reply, "net-2", "other", "targets a person")

    [item] = queue(session, {site_row.id}).items
    assert (item.id, item.site, item.status, item.flag_count) == (reply, "news", "visible", 2)
    assert item.thread.article_key == "big-story"
    assert item.author_email == "rude@example.org"
    assert item.parent is not None
    assert (item.parent.id, item.parent.body_html) == (
        top, "<p>The <em>original</em> point</p>"
    )
    assert [(f.reason, f.text) for f in item.flags] == [
        ("abuse", None), ("other", "targets a person")
    ]


def test_pending_comments_wait_in_the_queue_and_leave_it_when_approved(
    session, site_row
) -> None:
    actor = actor_for(site_row)
    sites.update_site(session, actor, site_row, sites.SiteChanges(premoderation=True),
                      rules=MOD_RULES, votes=VOTE_RULES, now=START)
    held = add(session, site_row, "held")
    assert [i.id for i in queue(session, {site_row.id}, state="pending").items] == [held]
    act(session, actor, held, "approve")
    assert queue(session, {site_row.id}).items == []


def test_most_flagged_first_and_pages_follow_the_cursor(session, site_row) -> None:
    ids = [add(session, site_row, f"c{i}", minute=i) for i in range(4)]
    for count, comment_id in zip([1, 2, 2, 1], ids, strict=True):
        for n in range(count):
            flag(session, site_row, comment_id, f"net-{comment_id}-{n}")
    first = queue(session, {site_row.id}, limit=2)
    second = queue(session, {site_row.id}, limit=2, cursor=first.next_cursor)
    order = [i.id for i in first.items + second.items]
    assert order == [ids[2], ids[1], ids[3], ids[0]]
    assert second.next_cursor is None
    newest = queue(session, {site_row.id}, sort="newest", limit=10)
    assert [i.id for i in newest.items] == list(reversed(ids))


def test_the_queue_shows_only_the_asked_sites(session, site_row) -> None:
    other = create_site(session, "sports", "Sports", [], START)
    session.commit()
    mine = add(session, site_row, "mine")
    theirs = add(session, other, "theirs", article="match")
    flag(session, site_row, mine, "net-1")
    flag(session, other, theirs, "net-1")
    assert [i.id for i in queue(session, {site_row.id}).items] == [mine]
    with pytest.raises(NotYourSite):
        read_item(session, actor_for(site_row), theirs)


def test_a_queue_page_takes_two_queries_whatever_its_size(app, session, site_row) -> None:
    top = add(session, site_row, "top")
    for i in range(12):
        reply = add(session, site_row, f"r{i}", top, minute=i + 1)
        flag(session, site_row, reply, "net-1")
        flag(session, site_row, reply, "net-2")
    assert site_row.id
    with count_queries(app) as statements:
        page = queue(session, {site_row.id}, limit=10)
    assert len(page.items) == 10
    assert all(len(item.flags) == 2 for item in page.items)
    assert len(statements) == 2, statements


@pytest.mark.parametrize("cursor", ["x", "1.2.3", "-1", "1" * 40])
def test_a_forged_queue_cursor_is_refused(session, site_row, cursor) -> None:
    with pytest.raises(InvalidCursor):
        queue(session, {site_row.id}, cursor=cursor)


def test_hidden_state_lists_hidden_comments_even_without_flags(session, site_row) -> None:
    top = add(session, site_row, "top")
    act(session, actor_for(site_row), top, "hide")
    assert queue(session, {site_row.id}).items == []
    assert [i.id for i in queue(session, {site_row.id}, state="hidden").items] == [top]
