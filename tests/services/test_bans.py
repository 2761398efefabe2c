"""services/bans.py: a banned author cannot post; a timed ban expires; bans are per site."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from comments_service.errors import ActionNotAllowed, Banned, ValidationFailed
from comments_service.models import Ban
from comments_service.services import bans
from comments_service.services.posting import CommentDraft, post_comment
from comments_service.services.sites import create_site
from tests.services.test_moderation import (
    MOD_RULES,
    RULES,
    SECRET,
    START,
    actor_for,
    add,
    author,
)


def ban(session, site, comment_id, *, by_email=False, by_address=False, seconds=None):
    info = bans.ban_author(session, actor_for(site), comment_id, by_email=by_email,
                           by_address=by_address, duration_seconds=seconds, note=None,
                           secret=SECRET, rules=MOD_RULES, now=START)
    session.commit()
    return info


def try_post(session, site, *, email=None, network="net-a", minutes=10):
    draft = CommentDraft(article_key="a1", body="again", author_email=email)
    return post_comment(session, site, draft, author(network), RULES,
                        START + timedelta(minutes=minutes))


def test_an_author_banned_by_email_cannot_post_from_any_network(session, site_row) -> None:
    troll = add(session, site_row, "troll", email="Troll@Example.org", network="net-t")
    ban(session, site_row, troll, by_email=True)
    with pytest.raises(Banned):
        try_post(session, site_row, email="troll@example.org", network="elsewhere")
    session.rollback()
    assert try_post(session, site_row, email="nice@example.org", network="elsewhere")


def test_an_author_banned_by_address_cannot_post_under_another_email(session, site_row) -> None:
    troll = add(session, site_row, "troll", email="troll@example.org", network="net-t")
    ban(session, site_row, troll, by_address=True)
    with pytest.raises(Banned):
        try_post(session, site_row, email="new-identity@example.org", network="net-t")
    session.rollback()
    assert try_post(session, site_row, email="troll@example.org", network="other-net")


def test_a_timed_ban_expires(session, site_row) -> None:
    troll = add(session, site_row, "troll", network="net-t")
    info = ban(session, site_row, troll, by_address=True, seconds=3600)
    assert info.expires_at == START + timedelta(hours=1)
    with pytest.raises(Banned):
        try_post(session, site_row, network="net-t", minutes=59)
    session.rollback()
    assert try_post(session, site_row, network="net-t", minutes=61)


def test_a_lifted_ban_lets_the_author_post_again(session, site_row) -> None:
    troll = add(session, site_row, "troll", network="net-t")
    info = ban(session, site_row, troll, by_address=True)
    bans.lift_ban(session, actor_for(site_row), info.id, None, MOD_RULES, START)
    session.commit()
    assert try_post(session, site_row, network="net-t")
    with pytest.raises(ActionNotAllowed):
        bans.lift_ban(session, actor_for(site_row), info.id, None, MOD_RULES, START)


def test_a_ban_on_one_site_does_not_reach_another(session, site_row) -> None:
    troll = add(session, site_row, "troll", network="net-t")
    ban(session, site_row, troll, by_address=True)
    other = create_site(session, "sports", "Sports", [], START)
    session.commit()
    assert try_post(session, other, network="net-t")


@pytest.mark.parametrize("article", ["a1", "new-article"])
def test_a_banned_author_is_refused_on_a_thread_old_or_new_before_any_other_check(
    session, site_row, article
) -> None:
    """Posting asks about bans with its read of the thread; an article without a thread
    yet has no row to ask with. Either way the ban is the answer, even to a reply that
    names a comment that does not exist or is in another thread."""
    troll = add(session, site_row, "troll", network="net-t")
    ban(session, site_row, troll, by_address=True)
    for parent in (None, troll, 999_999):
        draft = CommentDraft(article_key=article, body="again", parent_id=parent)
        with pytest.raises(Banned):
            post_comment(session, site_row, draft, author("net-t"), RULES,
                         START + timedelta(minutes=10))
        session.rollback()
    # Someone else, from another network, posts there.
    parent = troll if article == "a1" else None
    draft = CommentDraft(article_key=article, body="fine", parent_id=parent)
    posted = post_comment(session, site_row, draft, author("net-ok"), RULES,
                          START + timedelta(minutes=10))
    assert posted.comment.reply_to_id == parent


def test_a_ban_stores_hashes_never_the_email(session, site_row) -> None:
    troll = add(session, site_row, "troll", email="troll@example.org", network="net-t")
    ban(session, site_row, troll, by_email=True, by_address=True)
    stored = session.execute(select(Ban)).scalar_one()
    assert stored.email_hash == bans.email_hash(SECRET, "troll@example.org")
    assert "troll" not in (stored.email_hash or "")
    assert stored.client_hash == "net-t"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "by_email"),
        ({"by_email": True}, "by_email"),  # the comment has no email
        ({"by_address": True, "seconds": 0}, "duration_seconds"),
    ],
)
def test_a_ban_without_a_usable_target_is_refused(session, site_row, kwargs, field) -> None:
    troll = add(session, site_row, "troll", network="net-t")
    with pytest.raises(ValidationFailed) as caught:
        ban(session, site_row, troll, **kwargs)
    assert field in caught.value.fields
