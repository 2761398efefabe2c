"""services/posting.py: the rules of posting, replying, editing and deleting."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from comments_service.config import CommentSettings, load_settings
from comments_service.errors import (
    CommentGone,
    CommentNotFound,
    DuplicateComment,
    EditWindowClosed,
    InvalidEditToken,
    SpamRejected,
    ThreadLocked,
    ValidationFailed,
)
from comments_service.models import Comment, CommentStatus, Site, Thread
from comments_service.services import spam, threads
from comments_service.services.author_edits import delete_comment, edit_comment
from comments_service.services.posting import (
    Author,
    CommentDraft,
    PostedComment,
    post_comment,
    validate_draft,
)

NOW = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)
AUTHOR = Author(client_hash="c0ffee", secret="s3cret")


@pytest.fixture
def rules() -> CommentSettings:
    return load_settings(environ={}).comments


def post(
    session: Session,
    site: Site,
    rules: CommentSettings,
    body: str = "Hello",
    *,
    article: str = "a1",
    parent: int | None = None,
    now: datetime = NOW,
    **fields: str,
) -> PostedComment:
    draft = CommentDraft(article_key=article, body=body, parent_id=parent, **fields)
    posted = post_comment(session, site, draft, AUTHOR, rules, now)
    session.commit()
    return posted


def thread_of(session: Session, article: str = "a1") -> Thread:
    return session.execute(select(Thread).where(Thread.article_key == article)).scalar_one()


# ---- posting -------------------------------------------------------------------


def test_first_comment_creates_the_thread_with_title_and_url(session, site_row, rules) -> None:
    post(session, site_row, rules, title="Big news", url="https://news.example/big")
    thread = thread_of(session)
    assert (thread.title, thread.url) == ("Big news", "https://news.example/big")
    assert (thread.total_count, thread.visible_count) == (1, 1)


def test_second_comment_reuses_the_thread_and_counts_it(session, site_row, rules) -> None:
    post(session, site_row, rules)
    post(session, site_row, rules, "Again")
    assert session.scalars(select(Thread)).all() == [thread_of(session)]
    assert thread_of(session).visible_count == 2


def test_body_is_stored_as_markdown_and_sanitized_html(session, site_row, rules) -> None:
    posted = post(session, site_row, rules, "*hi* <script>alert(1)</script>")
    assert posted.comment.body_markdown == "*hi* <script>alert(1)</script>"
    assert "<em>hi</em>" in posted.comment.body_html
    assert "<script" not in posted.comment.body_html


def test_reply_records_parent_depth_path_and_root(session, site_row, rules) -> None:
    top = post(session, site_row, rules).comment
    reply = post(session, site_row, rules, "re", parent=top.id).comment
    deeper = post(session, site_row, rules, "re re", parent=reply.id).comment
    assert (reply.parent_id, reply.depth, reply.root_id) == (top.id, 1, top.id)
    assert (deeper.parent_id, deeper.depth, deeper.root_id) == (reply.id, 2, top.id)
    assert deeper.path.startswith(reply.path + ".")
    session.refresh(top)
    assert (top.child_count, top.reply_count) == (1, 2)


def test_reply_deeper_than_cap_attaches_at_cap(session, site_row, rules) -> None:
    capped = dataclasses.replace(rules, max_depth=2)
    top = post(session, site_row, capped).comment
    one = post(session, site_row, capped, "1", parent=top.id).comment
    two = post(session, site_row, capped, "2", parent=one.id).comment
    three = post(session, site_row, capped, "3", parent=two.id).comment
    assert two.depth == 2
    assert three.depth == 2, "a reply below the cap stays at the cap"
    assert three.parent_id == one.id, "it hangs beside the comment it answered"
    assert three.reply_to_id == two.id, "and remembers which comment it answered"


def test_depth_cap_zero_makes_every_reply_top_level(session, site_row, rules) -> None:
    flat = dataclasses.replace(rules, max_depth=0)
    top = post(session, site_row, flat).comment
    reply = post(session, site_row, flat, "re", parent=top.id).comment
    assert (reply.depth, reply.parent_id, reply.reply_to_id) == (0, None, top.id)
    assert reply.root_id == reply.id


def test_parent_from_another_thread_is_rejected(session, site_row, rules) -> None:
    other = post(session, site_row, rules, article="other").comment
    with pytest.raises(ValidationFailed) as caught:
        post(session, site_row, rules, "re", article="a1", parent=other.id)
    assert "parent_id" in caught.value.fields


def test_unknown_parent_is_rejected(session, site_row, rules) -> None:
    with pytest.raises(ValidationFailed) as caught:
        post(session, site_row, rules, "re", parent=999_999)
    assert caught.value.fields == {"parent_id": "That comment does not exist."}


def test_locked_thread_refuses_new_comments(session, site_row, rules) -> None:
    post(session, site_row, rules)
    thread_of(session).is_locked = True
    session.commit()
    with pytest.raises(ThreadLocked):
        post(session, site_row, rules, "late")


# ---- validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("body", "   ", "Write something"),
        ("body", "x" * 10_001, "under 10000"),
        ("author_name", "n" * 65, "under 64"),
        ("author_email", "not-an-address", "@"),
        ("author_email", "a@" + "b" * 250 + ".com", "under 254"),
        ("author_website", "javascript:alert(1)", "valid"),
        ("author_website", "data:text/html,x", "valid"),
        ("author_website", "https://user:pw@evil.example", "valid"),
        ("author_website", "https://" + "w" * 600 + ".example", "under 512"),
        ("url", "ftp://files.example/a", "http"),
        ("title", "t" * 301, "under 300"),
        ("article_key", "", "article's key"),
        ("article_key", "a\nb", "control"),
    ],
)
def test_each_bad_field_is_named(rules, field, value, fragment) -> None:
    base = {"article_key": "a1", "body": "fine"}
    draft = CommentDraft(**{**base, field: value})
    with pytest.raises(ValidationFailed) as caught:
        validate_draft(draft, rules)
    name = "article" if field == "article_key" else field
    assert fragment in caught.value.fields[name]


def test_all_bad_fields_are_reported_at_once(rules) -> None:
    draft = CommentDraft(article_key="a1", body="", author_email="x", author_website="ftp://x")
    with pytest.raises(ValidationFailed) as caught:
        validate_draft(draft, rules)
    assert set(caught.value.fields) == {"body", "author_email", "author_website"}


def test_required_name_and_email_are_enforced_when_configured(rules) -> None:
    strict = dataclasses.replace(rules, require_name=True, require_email=True)
    with pytest.raises(ValidationFailed) as caught:
        validate_draft(CommentDraft(article_key="a1", body="hi"), strict)
    assert set(caught.value.fields) == {"author_name", "author_email"}


def test_names_lose_control_characters_so_they_cannot_inject_headers(rules) -> None:
    clean = validate_draft(
        CommentDraft(article_key="a1", body="hi", author_name="Eve\r\nBcc: x@y.z\x00"), rules
    )
    assert clean.author_name == "Eve Bcc: x@y.z"


def test_bare_website_gets_https_and_email_is_normalized(rules) -> None:
    clean = validate_draft(
        CommentDraft(article_key="a1", body="hi", author_website="blog.example/me",
                     author_email="Ann@Example.COM"),
        rules,
    )
    assert clean.author_website == "https://blog.example/me"
    assert clean.author_email == "Ann@example.com"


def test_nul_bytes_are_removed_from_bodies(session, site_row, rules) -> None:
    posted = post(session, site_row, rules, "a\x00b")
    assert posted.comment.body_markdown == "ab"


# ---- edit and delete --------------------------------------------------------------


def test_author_can_edit_within_window(session, site_row, rules) -> None:
    posted = post(session, site_row, rules, "typo")
    later = NOW + timedelta(seconds=rules.edit_window_seconds - 1)
    edited = edit_comment(session, site_row, posted.comment.id, posted.edit_token, "*fixed*",
                          rules, later)
    assert edited.body_html == "<p><em>fixed</em></p>"
    assert edited.edited_at == later


def test_edit_after_window_is_refused(session, site_row, rules) -> None:
    posted = post(session, site_row, rules)
    later = NOW + timedelta(seconds=rules.edit_window_seconds + 1)
    with pytest.raises(EditWindowClosed):
        edit_comment(session, site_row, posted.comment.id, posted.edit_token, "x", rules, later)
    with pytest.raises(EditWindowClosed):
        delete_comment(session, site_row, posted.comment.id, posted.edit_token, rules, later)


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
def test_edit_without_the_right_token_is_refused(session, site_row, rules, token) -> None:
    posted = post(session, site_row, rules)
    with pytest.raises(InvalidEditToken):
        edit_comment(session, site_row, posted.comment.id, token, "x", rules, NOW)


def test_edit_of_unknown_comment_is_not_found(session, site_row, rules) -> None:
    with pytest.raises(CommentNotFound):
        edit_comment(session, site_row, 12345, "t", "x", rules, NOW)


def test_delete_without_replies_removes_the_row_and_counts(session, site_row, rules) -> None:
    top = post(session, site_row, rules)
    reply = post(session, site_row, rules, "re", parent=top.comment.id)
    result = delete_comment(session, site_row, reply.comment.id, reply.edit_token, rules, NOW)
    session.commit()
    assert not result.is_placeholder
    assert session.get(Comment, reply.comment.id) is None
    session.refresh(top.comment)
    assert (top.comment.child_count, top.comment.reply_count) == (0, 0)
    assert (thread_of(session).total_count, thread_of(session).visible_count) == (1, 1)


def test_deleted_with_replies_stays_as_erased_placeholder(session, site_row, rules) -> None:
    top = post(session, site_row, rules, "secret text", author_name="Ann",
               author_email="ann@example.com")
    post(session, site_row, rules, "re", parent=top.comment.id)
    result = delete_comment(session, site_row, top.comment.id, top.edit_token, rules, NOW)
    session.commit()
    assert result.is_placeholder
    row = session.get(Comment, top.comment.id)
    assert row is not None
    assert row.status == CommentStatus.DELETED.value
    assert (row.body_markdown, row.body_html, row.author_name, row.author_email) == (
        "", "", None, None,
    )
    assert thread_of(session).visible_count == 1
    with pytest.raises(CommentGone):
        edit_comment(session, site_row, top.comment.id, top.edit_token, "back", rules, NOW)


# ---- spam screening (services/spam.py decides; posting stores and counts) -----------------


def screened_post(
    session: Session, site_row: Site, rules: CommentSettings, body: str = "Hello", *,
    honeypot: str | None = None, parent: int | None = None, article: str = "a1",
) -> PostedComment:
    screening = spam.Screening(load_settings(environ={}).spam, spam.Signals(honeypot=honeypot))
    draft = CommentDraft(article_key=article, body=body, parent_id=parent)
    posted = post_comment(session, site_row, draft, AUTHOR, rules, NOW, screening=screening)
    session.commit()
    return posted


def test_comment_held_as_spam_is_pending_and_counted_only_in_the_total(
    session, site_row, rules
) -> None:
    site_row.settings = {"spam_action": "hold"}
    posted = screened_post(session, site_row, rules, honeypot="http://spam.example")
    assert posted.comment.status == CommentStatus.PENDING.value
    thread = thread_of(session)
    assert (thread.total_count, thread.visible_count) == (1, 0)


def test_reply_held_as_spam_counts_as_a_child_but_not_as_a_visible_reply(
    session, site_row, rules
) -> None:
    top = screened_post(session, site_row, rules).comment
    site_row.settings = {"spam_action": "hold"}
    screened_post(session, site_row, rules, "re", honeypot="x", parent=top.id)
    session.refresh(top)
    assert (top.child_count, top.reply_count) == (1, 0)
    assert (thread_of(session).total_count, thread_of(session).visible_count) == (2, 1)


def test_held_comment_is_not_in_the_public_thread(session, site_row, rules) -> None:
    shown = screened_post(session, site_row, rules, "shown").comment
    site_row.settings = {"spam_action": "hold"}
    screened_post(session, site_row, rules, "held", honeypot="x")
    page = threads.read_thread(session, threads.find_thread(session, site_row, "a1"),
                               sort="oldest", cursor=None, limit=20, replies_per_comment=5)
    assert [node.id for node in page.comments] == [shown.id]
    assert threads.count_comments(session, site_row, ["a1"]) == {"a1": 1}


def test_rejected_first_comment_leaves_no_thread_behind(session, site_row, rules) -> None:
    with pytest.raises(SpamRejected):
        screened_post(session, site_row, rules, honeypot="x", article="fresh")
    session.rollback()
    assert session.scalars(select(Thread).where(Thread.article_key == "fresh")).all() == []


def test_posting_twice_the_same_body_is_refused_as_duplicate(session, site_row, rules) -> None:
    screened_post(session, site_row, rules, "Same words")
    with pytest.raises(DuplicateComment):
        screened_post(session, site_row, rules, "Same words")


def test_unscreened_posts_skip_the_spam_rules(session, site_row, rules) -> None:
    post(session, site_row, rules, "Same words")
    assert post(session, site_row, rules, "Same words").comment.is_visible


def test_edit_adding_too_many_links_is_refused(session, site_row, rules) -> None:
    posted = post(session, site_row, rules)
    spam_rules = load_settings(environ={}).spam
    links = " ".join(f"https://site{i}.example" for i in range(spam_rules.max_links + 1))
    with pytest.raises(SpamRejected):
        edit_comment(session, site_row, posted.comment.id, posted.edit_token, links, rules,
                     NOW, spam_rules=spam_rules)


def test_the_posted_comment_is_fully_loaded_and_matches_its_row(session, site_row, rules) -> None:
    """The comment is inserted with Core and returned as a loaded copy: every column is
    set on it (none left to load lazily), with the values the database holds."""
    root = post(session, site_row, rules, "Root").comment.id
    draft = CommentDraft(article_key="a1", body="A *reply*", parent_id=root)
    posted = post_comment(session, site_row, draft, AUTHOR, rules, NOW)
    assert inspect(posted.comment).unloaded == set()
    columns = [column.key for column in Comment.__table__.c]
    copy = {key: getattr(posted.comment, key) for key in columns}
    session.commit()
    session.expire_all()
    stored = session.get(Comment, posted.comment.id)
    assert stored is not None
    assert {key: getattr(stored, key) for key in columns} == copy
    assert (copy["root_id"], copy["depth"], copy["path"].split(".")[0]) == (
        root, 1, stored.path.split(".")[0]
    )
