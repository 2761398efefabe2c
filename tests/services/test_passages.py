"""services/passages.py: anchors are validated as plain text, stored on top-level comments,
filtered on read, and counted per passage as the public sees them through moderation."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from comments_service.config import load_settings
from comments_service.errors import ValidationFailed
from comments_service.models import PassageAnchor, Site
from comments_service.services import moderation, passages
from comments_service.services.moderation import CommentAction
from comments_service.services.moderators import Actor
from comments_service.services.passages import Anchor, AnchorDraft, clean_anchor
from comments_service.services.posting import Author, CommentDraft, post_comment
from comments_service.services.threads import find_thread, read_thread
from tests.conftest import count_queries

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
SETTINGS = load_settings(environ={})
RULES = SETTINGS.comments
PASSAGES = SETTINGS.passages
AUTHOR = Author(client_hash="net-a", secret="s3cret")


def add(session: Session, site: Site, body: str = "hello", *, parent: int | None = None,
        anchor: AnchorDraft | None = None, minute: int = 0) -> int:
    draft = CommentDraft(article_key="a1", body=body, parent_id=parent, anchor=anchor)
    posted = post_comment(session, site, draft, AUTHOR, RULES,
                          START + timedelta(minutes=minute), passages=PASSAGES)
    session.commit()
    return posted.comment.id


def on(key: str, quote: str = "the river rose") -> AnchorDraft:
    return AnchorDraft(passage_key=key, quote=quote, prefix="Overnight ", suffix=" by a metre")


def thread_id(session: Session, site: Site) -> int:
    thread = find_thread(session, site, "a1")
    assert thread is not None
    return thread.id


def moderate(session: Session, site: Site, comment_id: int, action: str) -> None:
    actor = Actor(moderator_id=None, name="mod@news.example", site_ids=frozenset({site.id}))
    moderation.moderate_comment(session, actor, comment_id, CommentAction(action), None,
                                SETTINGS.moderation, START + timedelta(hours=1))
    session.commit()


# ---- validation ---------------------------------------------------------------------


def test_clean_anchor_keeps_text_as_given_and_drops_control_characters() -> None:
    fields: dict[str, str] = {}
    draft = AnchorDraft("intro-2", "<img src=x onerror=alert(1)>\x00 and\nmore", "a\x07b", "")
    anchor = clean_anchor(draft, PASSAGES, is_reply=False, fields=fields)
    assert fields == {}
    assert anchor == Anchor("intro-2", "<img src=x onerror=alert(1)> and\nmore", "ab", "")


@pytest.mark.parametrize(
    ("draft", "field"),
    [
        (AnchorDraft("has space", "q"), "anchor.passage_key"),
        (AnchorDraft("<p>", "q"), "anchor.passage_key"),
        (AnchorDraft("", "q"), "anchor.passage_key"),
        (AnchorDraft("k" * (PASSAGES.max_key_chars + 1), "q"), "anchor.passage_key"),
        (AnchorDraft("p1", "   "), "anchor.quote"),
        (AnchorDraft("p1", "q" * (PASSAGES.max_quote_chars + 1)), "anchor.quote"),
        (AnchorDraft("p1", "q", prefix="x" * (PASSAGES.context_chars + 1)), "anchor.prefix"),
        (AnchorDraft("p1", "q", suffix="x" * (PASSAGES.context_chars + 1)), "anchor.suffix"),
    ],
)
def test_clean_anchor_names_the_bad_field(draft: AnchorDraft, field: str) -> None:
    fields: dict[str, str] = {}
    assert clean_anchor(draft, PASSAGES, is_reply=False, fields=fields) is None
    assert set(fields) == {field}


def test_clean_anchor_refuses_replies_and_a_service_with_passages_off() -> None:
    off = dataclasses.replace(PASSAGES, enabled=False)
    for rules, is_reply in ((PASSAGES, True), (off, False), (None, False)):
        fields: dict[str, str] = {}
        assert clean_anchor(on("p1"), rules, is_reply=is_reply, fields=fields) is None
        assert set(fields) == {"anchor"}


def test_a_bad_anchor_is_reported_with_the_other_bad_fields_and_nothing_is_stored(
    session: Session, site_row: Site
) -> None:
    draft = CommentDraft(article_key="a1", body="", anchor=AnchorDraft("bad key", "q"))
    with pytest.raises(ValidationFailed) as raised:
        post_comment(session, site_row, draft, AUTHOR, RULES, START, passages=PASSAGES)
    assert set(raised.value.fields) == {"body", "anchor.passage_key"}
    session.rollback()
    assert session.query(PassageAnchor).count() == 0


# ---- storing and reading ---------------------------------------------------------------


def test_anchor_is_stored_with_the_comment_and_read_back_on_the_page(
    session: Session, site_row: Site
) -> None:
    anchored = add(session, site_row, anchor=on("p1"))
    plain = add(session, site_row, minute=1)
    add(session, site_row, "a reply", parent=anchored, minute=2)

    page = read_thread(session, find_thread(session, site_row, "a1"), sort="oldest",
                       cursor=None, limit=10, replies_per_comment=5)
    by_id = {node.id: node for node in page.comments}
    assert by_id[anchored].anchor == Anchor("p1", "the river rose", "Overnight ", " by a metre")
    assert by_id[plain].anchor is None
    [reply] = by_id[anchored].replies
    assert reply.anchor is None


def test_passage_filter_reads_only_that_passage_with_its_replies(
    session: Session, site_row: Site
) -> None:
    first = add(session, site_row, anchor=on("p1"))
    add(session, site_row, anchor=on("p2"), minute=1)
    add(session, site_row, minute=2)
    third = add(session, site_row, anchor=on("p1"), minute=3)
    add(session, site_row, "reply", parent=first, minute=4)
    thread = find_thread(session, site_row, "a1")

    page = read_thread(session, thread, sort="oldest", cursor=None, limit=1,
                       replies_per_comment=5, passage="p1")
    assert [node.id for node in page.comments] == [first]
    assert [r.body_html for r in page.comments[0].replies] == ["<p>reply</p>"]
    assert page.next_cursor is not None
    more = read_thread(session, thread, sort="oldest", cursor=page.next_cursor, limit=1,
                       replies_per_comment=5, passage="p1")
    assert [node.id for node in more.comments] == [third]
    assert more.next_cursor is None
    none = read_thread(session, thread, sort="newest", cursor=None, limit=5,
                       replies_per_comment=5, passage="nowhere")
    assert none.comments == []


def test_reading_a_page_with_anchors_costs_no_extra_query(
    app, session: Session, site_row: Site
) -> None:
    for minute in range(3):
        root = add(session, site_row, anchor=on(f"p{minute}"), minute=minute)
        add(session, site_row, "reply", parent=root, minute=minute)
    thread = find_thread(session, site_row, "a1")
    with count_queries(app) as statements:
        page = read_thread(session, thread, sort="oldest", cursor=None, limit=10,
                           replies_per_comment=5)
    assert len(statements) == 2
    assert all(node.anchor is not None for node in page.comments)


# ---- counts -------------------------------------------------------------------------------


def test_counts_add_visible_replies_and_follow_hide_restore_and_delete(
    app, session: Session, site_row: Site
) -> None:
    one = add(session, site_row, anchor=on("p1"))
    two = add(session, site_row, anchor=on("p1", "another part"), minute=1)
    reply = add(session, site_row, "reply", parent=one, minute=2)
    add(session, site_row, anchor=on("p2"), minute=3)
    add(session, site_row, minute=4)
    tid = thread_id(session, site_row)

    counted = passages.count_passages(session, tid)
    assert counted.counts == {"p1": 3, "p2": 1}
    assert counted.anchors["p1"].quote == "the river rose"

    moderate(session, site_row, reply, "hide")
    assert passages.count_passages(session, tid).counts == {"p1": 2, "p2": 1}
    moderate(session, site_row, one, "hide")
    counted = passages.count_passages(session, tid)
    assert counted.counts == {"p1": 1, "p2": 1}
    # The passage is now placed by its first comment still shown.
    assert counted.anchors["p1"].quote == "another part"
    moderate(session, site_row, reply, "restore")
    # A hidden root with a visible reply stays as a placeholder: its reply counts.
    assert passages.count_passages(session, tid).counts == {"p1": 2, "p2": 1}
    moderate(session, site_row, two, "delete")
    moderate(session, site_row, reply, "delete")
    assert passages.count_passages(session, tid).counts == {"p2": 1}
    with count_queries(app) as statements:
        passages.count_passages(session, tid)
    assert len(statements) == 2


def test_pending_comments_are_not_counted(session: Session, site_row: Site) -> None:
    site_row.settings = {**site_row.settings, "premoderation": True}
    session.commit()
    pending = add(session, site_row, anchor=on("p1"))
    tid = thread_id(session, site_row)
    assert passages.count_passages(session, tid).counts == {}
    moderate(session, site_row, pending, "approve")
    assert passages.count_passages(session, tid).counts == {"p1": 1}


def test_counts_of_an_article_without_a_thread_are_empty(session: Session) -> None:
    assert passages.count_passages(session, None) == passages.PassageCounts({}, {})


def test_purge_erases_the_anchor_of_a_placeholder_and_author_deletion_keeps_it(
    session: Session, site_row: Site
) -> None:
    purged = add(session, site_row, anchor=on("p1", "a private remark"))
    add(session, site_row, "reply", parent=purged, minute=1)
    kept = add(session, site_row, anchor=on("p2"), minute=2)
    add(session, site_row, "reply", parent=kept, minute=3)
    moderate(session, site_row, purged, "purge")
    moderate(session, site_row, kept, "delete")
    assert session.get(PassageAnchor, purged) is None
    assert session.get(PassageAnchor, kept) is not None
    tid = thread_id(session, site_row)
    # The deleted placeholder's visible reply still counts for its passage.
    assert passages.count_passages(session, tid).counts == {"p2": 1}
