"""services/moderation.py: status transitions keep every counter right; moderator actions,
pre-moderation, locks, purge and the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comments_service.config import load_settings
from comments_service.errors import (
    ActionNotAllowed,
    CommentNotFound,
    NotYourSite,
    ThreadLocked,
    ValidationFailed,
)
from comments_service.events import CommentChange, CommentEvent, EventBus
from comments_service.models import AuditEntry, Comment, Flag, Site, Thread
from comments_service.services import audit, bans, flags, moderation, sites, thread_moderation
from comments_service.services.moderation import CommentAction
from comments_service.services.moderators import Actor
from comments_service.services.posting import Author, CommentDraft, post_comment
from comments_service.services.sites import create_site
from comments_service.services.thread_moderation import ThreadAction
from comments_service.services.threads import find_thread, read_thread

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
SETTINGS = load_settings(environ={})
RULES = SETTINGS.comments
MOD_RULES = SETTINGS.moderation
VOTE_RULES = SETTINGS.votes
SECRET = "s3cret"


def author(network: str = "net-a") -> Author:
    return Author(client_hash=network, secret=SECRET)


def add(session: Session, site: Site, body: str = "hello", parent: int | None = None, *,
        article: str = "a1", minute: int = 0, email: str | None = None,
        network: str = "net-a") -> int:
    draft = CommentDraft(article_key=article, body=body, parent_id=parent, author_email=email)
    posted = post_comment(session, site, draft, author(network), RULES,
                          START + timedelta(minutes=minute))
    session.commit()
    return posted.comment.id


def actor_for(*sites: Site) -> Actor:
    return Actor(moderator_id=None, name="mod@news.example",
                 site_ids=frozenset(site.id for site in sites))


def act(session: Session, actor: Actor, comment_id: int, action: str, note: str | None = None):
    result = moderation.moderate_comment(session, actor, comment_id, CommentAction(action), note,
                                         MOD_RULES, START + timedelta(hours=1))
    session.commit()
    return result


def status_of(session: Session, comment_id: int) -> str | None:
    return session.execute(select(Comment.status).where(Comment.id == comment_id)).scalar()


def assert_counters_match_rows(session: Session, article: str = "a1") -> None:
    """Every stored counter equals what counting the rows gives."""
    thread = session.execute(select(Thread).where(Thread.article_key == article)).scalar_one()
    session.refresh(thread)
    rows = session.execute(
        select(Comment.id, Comment.status, Comment.depth, Comment.root_id, Comment.parent_id,
               Comment.reply_count, Comment.child_count)
        .where(Comment.thread_id == thread.id)
    ).all()
    assert thread.total_count == sum(r.status != "deleted" for r in rows)
    assert thread.visible_count == sum(r.status == "visible" for r in rows)
    for row in rows:
        if row.depth == 0:
            visible_replies = sum(
                r.status == "visible" and r.depth > 0 and r.root_id == row.id for r in rows
            )
            assert row.reply_count == visible_replies, row
        assert row.child_count == sum(r.parent_id == row.id for r in rows), row


# ---- counters through every transition ----------------------------------------------


@pytest.mark.parametrize(
    ("premoderated", "steps"),
    [
        (False, ["hide", "restore"]),
        (False, ["hide", "delete", "restore"]),
        (False, ["delete", "restore", "hide", "approve"]),
        (False, ["hide", "purge"]),
        (False, ["purge"]),
        (True, ["approve", "hide", "restore"]),
        (True, ["hide", "restore"]),
        (True, ["delete", "restore"]),
        (True, ["purge"]),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, list) else f"premod={value}",
)
def test_each_transition_keeps_thread_and_root_counters_right(
    session, site_row, premoderated, steps
) -> None:
    actor = actor_for(site_row)
    root = add(session, site_row, "root")
    add(session, site_row, "sibling", root, minute=1)
    if premoderated:
        sites.update_site(session, actor, site_row, sites.SiteChanges(premoderation=True),
                          rules=MOD_RULES, votes=VOTE_RULES, now=START)
        session.commit()
    reply = add(session, site_row, "the one", root, minute=2)
    assert status_of(session, reply) == ("pending" if premoderated else "visible")
    assert_counters_match_rows(session)
    for step in steps:
        act(session, actor, reply, step)
        assert_counters_match_rows(session)


def test_pending_post_counts_in_total_but_not_in_visible_and_is_not_shown(
    session, site_row
) -> None:
    actor = actor_for(site_row)
    sites.update_site(session, actor, site_row, sites.SiteChanges(premoderation=True),
                      rules=MOD_RULES, votes=VOTE_RULES, now=START)
    held = add(session, site_row, "held")
    thread = find_thread(session, site_row, "a1")
    assert thread is not None
    assert (thread.total_count, thread.visible_count) == (1, 0)
    page = read_thread(session, thread, sort="oldest", cursor=None, limit=10,
                       replies_per_comment=5)
    assert page.comments == []

    act(session, actor, held, "approve")
    thread = find_thread(session, site_row, "a1")
    assert thread is not None
    assert (thread.total_count, thread.visible_count) == (1, 1)
    page = read_thread(session, thread, sort="oldest", cursor=None, limit=10,
                       replies_per_comment=5)
    assert [c.id for c in page.comments] == [held]


def test_premoderating_one_thread_holds_only_that_thread(session, site_row) -> None:
    actor = actor_for(site_row)
    first = add(session, site_row, "first", article="held-article")
    thread_id = session.execute(select(Comment.thread_id).where(Comment.id == first)).scalar()
    thread_moderation.moderate_thread(session, actor, thread_id, ThreadAction.PREMODERATE, None,
                               MOD_RULES, START)
    session.commit()
    held = add(session, site_row, "second", article="held-article", minute=1)
    free = add(session, site_row, "elsewhere", article="free-article", minute=2)
    assert status_of(session, held) == "pending"
    assert status_of(session, free) == "visible"


def test_every_status_change_bumps_the_thread_version(session, site_row) -> None:
    actor = actor_for(site_row)
    top = add(session, site_row, "top")
    versions = []
    for step in ["hide", "restore", "pin", "unpin", "delete"]:
        act(session, actor, top, step)
        versions.append(find_thread(session, site_row, "a1").version)  # type: ignore[union-attr]
    assert versions == sorted(set(versions))


# ---- the approved event, which notifications and live updates subscribe to -----------


def test_approved_event_is_emitted_once_when_a_pending_comment_is_approved(
    session, site_row
) -> None:
    actor = actor_for(site_row)
    seen: list[tuple[int, str]] = []

    def hook(_session: Session, change: CommentChange) -> None:
        seen.append((change.comment.id, change.comment.status))

    bus = EventBus()
    bus.subscribe(hook, CommentEvent.APPROVED)
    sites.update_site(session, actor, site_row, sites.SiteChanges(premoderation=True),
                      rules=MOD_RULES, votes=VOTE_RULES, now=START)
    held = add(session, site_row, "held")
    assert seen == []
    for step in ("approve", "hide", "restore"):
        moderation.moderate_comment(session, actor, held, CommentAction(step), None,
                                    MOD_RULES, START + timedelta(hours=1), bus)
        session.commit()
    assert seen == [(held, "visible")]


# ---- which actions apply ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("setup", "action"),
    [
        ([], "approve"),  # visible, no flags: nothing to approve
        ([], "restore"),
        (["hide"], "hide"),
        (["delete"], "delete"),
        (["delete"], "approve"),
        (["delete"], "pin"),
        ([], "unpin"),
        (["pin"], "pin"),
    ],
)
def test_an_action_that_does_not_apply_is_refused_and_changes_nothing(
    session, site_row, setup, action
) -> None:
    actor = actor_for(site_row)
    top = add(session, site_row, "top")
    for step in setup:
        act(session, actor, top, step)
    before = status_of(session, top)
    entries = session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    with pytest.raises(ActionNotAllowed):
        act(session, actor, top, action)
    session.rollback()
    assert status_of(session, top) == before
    assert session.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == entries


def test_only_top_level_comments_can_be_pinned(session, site_row) -> None:
    actor = actor_for(site_row)
    top = add(session, site_row, "top")
    reply = add(session, site_row, "reply", top, minute=1)
    with pytest.raises(ActionNotAllowed, match="top-level"):
        act(session, actor, reply, "pin")


def test_moderator_delete_keeps_the_content_for_the_audit_and_shows_a_placeholder(
    session, site_row
) -> None:
    actor = actor_for(site_row)
    top = add(session, site_row, "keep me for the record", email="ann@example.org")
    add(session, site_row, "reply", top, minute=1)
    act(session, actor, top, "delete", note="insults")
    stored = session.get(Comment, top)
    assert stored is not None
    assert (stored.status, stored.body_markdown, stored.author_email) == (
        "deleted", "keep me for the record", "ann@example.org"
    )
    assert stored.status_reason == "deleted by mod@news.example: insults"
    page = read_thread(session, find_thread(session, site_row, "a1"), sort="oldest",
                       cursor=None, limit=10, replies_per_comment=5)
    [placeholder] = page.comments
    assert placeholder.is_placeholder


def test_a_comment_its_author_erased_cannot_be_restored(session, site_row) -> None:
    from comments_service.services.author_edits import delete_comment

    actor = actor_for(site_row)
    draft = CommentDraft(article_key="a1", body="mine")
    posted = post_comment(session, site_row, draft, author(), RULES, START)
    post_comment(session, site_row, CommentDraft(article_key="a1", body="re",
                 parent_id=posted.comment.id), author(), RULES, START)
    delete_comment(session, site_row, posted.comment.id, posted.edit_token, RULES, START)
    session.commit()
    with pytest.raises(ActionNotAllowed, match="erased"):
        act(session, actor, posted.comment.id, "restore")


# ---- purge ------------------------------------------------------------------------------


def test_purge_of_a_leaf_removes_the_row_and_its_flags(session, site_row) -> None:
    actor = actor_for(site_row)
    top = add(session, site_row, "top")
    leaf = add(session, site_row, "personal data", top, minute=1, email="bob@example.org")
    flags.flag_comment(session, site_row, leaf, flags.FlagDraft("spam"), "net-b", None,
                       MOD_RULES, START)
    session.commit()
    result = act(session, actor, leaf, "purge", note="GDPR request 42")
    assert result.status_after == "purged"
    assert session.get(Comment, leaf) is None
    assert session.execute(select(Flag).where(Flag.comment_id == leaf)).first() is None
    assert session.get(Comment, top).child_count == 0  # type: ignore[union-attr]
    assert_counters_match_rows(session)


def test_purge_of_a_comment_with_replies_keeps_an_empty_placeholder(session, site_row) -> None:
    actor = actor_for(site_row)
    top = add(session, site_row, "my address is 1 Main St", email="ann@example.org")
    reply = add(session, site_row, "reply", top, minute=1, network="net-b")
    act(session, actor, top, "purge")
    stored = session.get(Comment, top)
    assert stored is not None
    assert stored.status == "deleted"
    assert (stored.body_markdown, stored.body_html, stored.author_name, stored.author_email,
            stored.author_website, stored.client_hash, stored.edit_token_hash) == (
        "", "", None, None, None, None, None
    )
    assert status_of(session, reply) == "visible"
    page = read_thread(session, find_thread(session, site_row, "a1"), sort="oldest",
                       cursor=None, limit=10, replies_per_comment=5)
    [placeholder] = page.comments
    assert placeholder.is_placeholder
    assert [r.id for r in placeholder.replies] == [reply]
    with pytest.raises(ActionNotAllowed):
        act(session, actor, top, "restore")


# ---- locks ------------------------------------------------------------------------------


def test_a_locked_thread_refuses_new_comments_until_unlocked(session, site_row) -> None:
    actor = actor_for(site_row)
    first = add(session, site_row, "first")
    thread_id = session.execute(select(Comment.thread_id).where(Comment.id == first)).scalar()
    thread_moderation.moderate_thread(session, actor, thread_id, ThreadAction.LOCK, "heated",
                               MOD_RULES, START)
    session.commit()
    with pytest.raises(ThreadLocked):
        add(session, site_row, "too late", minute=1)
    session.rollback()
    thread_moderation.moderate_thread(session, actor, thread_id, ThreadAction.UNLOCK, None,
                               MOD_RULES, START)
    session.commit()
    assert status_of(session, add(session, site_row, "welcome back", minute=2)) == "visible"


# ---- sites ------------------------------------------------------------------------------


def test_a_moderator_of_another_site_can_touch_nothing_here(session, site_row) -> None:
    other = create_site(session, "sports", "Sports", [], START)
    session.commit()
    outsider = actor_for(other)
    top = add(session, site_row, "top")
    thread_id = session.execute(select(Comment.thread_id).where(Comment.id == top)).scalar()
    for action in CommentAction:
        with pytest.raises(NotYourSite):
            moderation.moderate_comment(session, outsider, top, action, None, MOD_RULES, START)
    with pytest.raises(NotYourSite):
        thread_moderation.moderate_thread(session, outsider, thread_id, ThreadAction.LOCK, None,
                                   MOD_RULES, START)
    with pytest.raises(NotYourSite):
        sites.update_site(session, outsider, site_row, sites.SiteChanges(premoderation=True),
                          rules=MOD_RULES, votes=VOTE_RULES, now=START)
    with pytest.raises(NotYourSite):
        bans.ban_author(session, outsider, top, by_email=False, by_address=True,
                        duration_seconds=None, note=None, secret=SECRET, rules=MOD_RULES,
                        now=START)
    session.rollback()
    assert status_of(session, top) == "visible"


def test_unknown_comment_is_not_found(session, site_row) -> None:
    with pytest.raises(CommentNotFound):
        act(session, actor_for(site_row), 424242, "hide")


def test_bulk_applies_what_it_can_and_reports_the_rest(session, site_row) -> None:
    actor = actor_for(site_row)
    a = add(session, site_row, "a")
    b = add(session, site_row, "b", minute=1)
    act(session, actor, b, "hide")
    outcomes = moderation.moderate_many(session, actor, [a, b, 999999], CommentAction.HIDE,
                                        "cleanup", MOD_RULES, START)
    session.commit()
    assert [(o.comment_id, o.ok, o.error) for o in outcomes] == [
        (a, True, None), (b, False, "action_not_allowed"), (999999, False, "comment_not_found"),
    ]
    assert status_of(session, a) == "hidden"
    assert_counters_match_rows(session)


def test_bulk_refuses_more_than_the_configured_most(session, site_row) -> None:
    rules = MOD_RULES.__class__(**{**MOD_RULES.__dict__, "max_bulk": 2})
    with pytest.raises(ValidationFailed):
        moderation.moderate_many(session, actor_for(site_row), [1, 2, 3], CommentAction.HIDE,
                                 None, rules, START)


def test_a_note_longer_than_configured_is_refused(session, site_row) -> None:
    top = add(session, site_row, "top")
    with pytest.raises(ValidationFailed) as caught:
        act(session, actor_for(site_row), top, "hide", note="x" * (MOD_RULES.max_note_chars + 1))
    assert "note" in caught.value.fields


# ---- the audit log ----------------------------------------------------------------------


def test_every_action_appears_in_the_audit_log(session, site_row) -> None:
    actor = Actor(moderator_id=None, name="mod@news.example", site_ids=frozenset({site_row.id}))
    sites.update_site(session, actor, site_row,
                      sites.SiteChanges(flag_threshold=1, note="strict week"),
                      rules=MOD_RULES, votes=VOTE_RULES, now=START)
    top = add(session, site_row, "top", email="ann@example.org")
    thread_id = session.execute(select(Comment.thread_id).where(Comment.id == top)).scalar()
    flags.flag_comment(session, site_row, top, flags.FlagDraft("abuse"), "net-z", None,
                       MOD_RULES, START)  # threshold 1: auto-hidden
    for step in ["approve", "pin", "unpin", "hide", "restore", "delete", "restore"]:
        act(session, actor, top, step)
    for action in ThreadAction:
        thread_moderation.moderate_thread(session, actor, thread_id, action, None, MOD_RULES, START)
    ban = bans.ban_author(session, actor, top, by_email=True, by_address=True,
                          duration_seconds=3600, note="troll", secret=SECRET, rules=MOD_RULES,
                          now=START)
    bans.lift_ban(session, actor, ban.id, "appeal", MOD_RULES, START)
    act(session, actor, top, "purge")
    session.commit()

    log = audit.read_log(session, {site_row.id}, limit=100).entries
    actions = [entry.action for entry in reversed(log)]
    assert actions == [
        "site_settings", "auto_hide", "approve", "pin", "unpin", "hide", "restore", "delete",
        "restore", "lock", "unlock", "premoderate", "unpremoderate", "ban", "unban", "purge",
    ]
    by_action = {entry.action: entry for entry in log}
    assert by_action["auto_hide"].actor == "auto"
    assert (by_action["hide"].actor, by_action["hide"].comment_id) == ("mod@news.example", top)
    assert (by_action["hide"].status_before, by_action["hide"].status_after) == (
        "visible", "hidden"
    )
    assert by_action["lock"].thread_id == thread_id
    assert by_action["ban"].ban_id == ban.id
    assert by_action["unban"].note == "appeal"
    assert (by_action["purge"].status_before, by_action["purge"].status_after) == (
        "visible", "purged"
    )
    assert "flag_threshold 1" in (by_action["site_settings"].note or "")
    # A purge leaves the record but none of the comment's text in it.
    assert all("top" not in (entry.note or "") for entry in log)
