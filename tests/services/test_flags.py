"""services/flags.py: one flag per reader, the threshold hides, a restore un-hides."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from comments_service.errors import AlreadyFlagged, CommentNotFound, ValidationFailed
from comments_service.models import Comment, Flag
from comments_service.services import sites
from comments_service.services.flags import FlagDraft, flag_comment
from comments_service.services.queue import read_queue
from comments_service.services.sites import create_site
from comments_service.services.threads import find_thread
from tests.services.test_moderation import (
    MOD_RULES,
    START,
    VOTE_RULES,
    act,
    actor_for,
    add,
    assert_counters_match_rows,
    status_of,
)

SPAM = FlagDraft("spam")


def flag(session, site, comment_id, network, token=None, draft=SPAM, rules=MOD_RULES):
    result = flag_comment(session, site, comment_id, draft, network, token, rules,
                          START + timedelta(minutes=5))
    session.commit()
    return result


def test_flags_from_threshold_many_readers_hide_and_a_restore_unhides(session, site_row) -> None:
    top = add(session, site_row, "top")
    reply = add(session, site_row, "buy pills", top, minute=1)
    for network in ("net-1", "net-2"):
        assert flag(session, site_row, reply, network).is_hidden is False
    assert status_of(session, reply) == "visible"

    assert flag(session, site_row, reply, "net-3").is_hidden is True
    stored = session.get(Comment, reply)
    assert stored is not None
    assert (stored.status, stored.status_reason, stored.flag_count) == (
        "hidden", "auto-hidden by 3 flags", 3
    )
    assert find_thread(session, site_row, "a1").visible_count == 1  # type: ignore[union-attr]
    assert session.get(Comment, top).reply_count == 0  # type: ignore[union-attr]
    assert_counters_match_rows(session)

    act(session, actor_for(site_row), reply, "restore")
    assert status_of(session, reply) == "visible"
    assert find_thread(session, site_row, "a1").visible_count == 2  # type: ignore[union-attr]
    assert session.get(Comment, top).reply_count == 1  # type: ignore[union-attr]
    assert_counters_match_rows(session)


def test_after_a_restore_more_flags_do_not_hide_it_again(session, site_row) -> None:
    top = add(session, site_row, "controversial but fine")
    for network in ("net-1", "net-2", "net-3"):
        flag(session, site_row, top, network)
    act(session, actor_for(site_row), top, "restore")
    flag(session, site_row, top, "net-4")
    assert status_of(session, top) == "visible"


def test_approve_clears_the_flags_and_the_count_starts_over(session, site_row) -> None:
    top = add(session, site_row, "top")
    for network in ("net-1", "net-2"):
        flag(session, site_row, top, network)
    act(session, actor_for(site_row), top, "approve")
    stored = session.get(Comment, top)
    assert stored is not None
    assert stored.flag_count == 0
    kept = session.execute(select(Flag.cleared_at).where(Flag.comment_id == top)).scalars().all()
    assert len(kept) == 2
    assert all(cleared is not None for cleared in kept)
    assert read_queue(session, {site_row.id}, state="all", sort="flags", cursor=None,
                      limit=10).items == []
    # The same readers may not flag again; new readers start a new count.
    with pytest.raises(AlreadyFlagged):
        flag(session, site_row, top, "net-1")
    session.rollback()
    for network in ("net-5", "net-6"):
        flag(session, site_row, top, network)
    assert status_of(session, top) == "visible"
    flag(session, site_row, top, "net-7")
    assert status_of(session, top) == "hidden"


def test_the_same_reader_cannot_flag_twice(session, site_row) -> None:
    top = add(session, site_row, "top")
    flag(session, site_row, top, "net-1")
    with pytest.raises(AlreadyFlagged):
        flag(session, site_row, top, "net-1")
    session.rollback()
    flag(session, site_row, top, "net-2", token="browser-a")
    with pytest.raises(AlreadyFlagged):
        flag(session, site_row, top, "net-2", token="browser-a")


def test_readers_sharing_a_network_each_flag_once_but_count_once_toward_hiding(
    session, site_row
) -> None:
    top = add(session, site_row, "top")
    for token in ("browser-a", "browser-b", "browser-c", "browser-d"):
        flag(session, site_row, top, "office-net", token=token)
    stored = session.get(Comment, top)
    assert stored is not None
    assert (stored.flag_count, stored.status) == (4, "visible")
    flag(session, site_row, top, "home-net-1")
    flag(session, site_row, top, "home-net-2")
    assert status_of(session, top) == "hidden"


def test_the_sites_own_threshold_wins_over_the_default(session, site_row) -> None:
    sites.update_site(session, actor_for(site_row), site_row, sites.SiteChanges(flag_threshold=1),
                      rules=MOD_RULES, votes=VOTE_RULES, now=START)
    top = add(session, site_row, "top")
    assert flag(session, site_row, top, "net-1").is_hidden is True


def test_threshold_zero_never_hides(session, site_row) -> None:
    rules = replace(MOD_RULES, flag_threshold=0)
    top = add(session, site_row, "top")
    for network in ("net-1", "net-2", "net-3", "net-4"):
        flag(session, site_row, top, network, rules=rules)
    assert status_of(session, top) == "visible"


@pytest.mark.parametrize(
    ("draft", "field"),
    [
        (FlagDraft("other"), "text"),
        (FlagDraft("other", "   "), "text"),
        (FlagDraft("spam", "x" * (MOD_RULES.max_flag_text_chars + 1)), "text"),
        (FlagDraft("boring"), "reason"),
    ],
)
def test_a_flag_with_a_bad_reason_or_text_is_refused(session, site_row, draft, field) -> None:
    top = add(session, site_row, "top")
    with pytest.raises(ValidationFailed) as caught:
        flag(session, site_row, top, "net-1", draft=draft)
    assert field in caught.value.fields


def test_other_with_text_is_kept_with_the_flag(session, site_row) -> None:
    top = add(session, site_row, "top")
    flag(session, site_row, top, "net-1", draft=FlagDraft("other", "  doxxing a neighbour "))
    stored = session.execute(select(Flag.reason, Flag.text)).one()
    assert tuple(stored) == ("other", "doxxing a neighbour")


def test_only_visible_comments_of_the_site_can_be_flagged(session, site_row) -> None:
    top = add(session, site_row, "top")
    other = create_site(session, "sports", "Sports", [], START)
    session.commit()
    with pytest.raises(CommentNotFound):
        flag(session, other, top, "net-1")
    session.rollback()
    act(session, actor_for(site_row), top, "hide")
    with pytest.raises(CommentNotFound):
        flag(session, site_row, top, "net-1")
