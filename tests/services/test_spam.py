"""services/spam.py: the spam rules, form tokens, the duplicate query and the checker."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import event

from comments_service import sanitize
from comments_service.config import SpamSettings, load_settings
from comments_service.errors import DuplicateComment, SpamRejected
from comments_service.models import CommentStatus
from comments_service.services import spam
from comments_service.services.posting import Author, CommentDraft, post_comment
from tests.fake_checker import FakeChecker

SECRET = "s3cret-for-tests"
NOW = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def rules() -> SpamSettings:
    return load_settings(environ={}).spam


def candidate(body: str = "A fine comment.", **fields: Any) -> spam.Candidate:
    fields.setdefault("article_key", "a1")
    return spam.Candidate(body=body, body_html=sanitize.render(body), **fields)


def tripped(rules: SpamSettings, body: str = "A fine comment.", *,
            signals: spam.Signals | None = None, now: datetime | None = None,
            **fields: Any) -> list[str]:
    token = spam.issue_form_token(SECRET, "news")
    moment = now or token.issued_at + timedelta(seconds=rules.form_token_min_seconds + 1)
    signals = signals or spam.Signals(form_token=token.token)
    return spam.local_rules(candidate(body, **fields), signals, rules, SECRET, "news", moment)


# ---- honeypot ---------------------------------------------------------------------------


def test_filled_honeypot_trips_the_rule(rules) -> None:
    assert tripped(rules, signals=spam.Signals(honeypot="http://spam.example")) == [spam.HONEYPOT]


@pytest.mark.parametrize("value", [None, ""])
def test_empty_or_absent_honeypot_passes(rules, value) -> None:
    assert tripped(rules, signals=spam.Signals(honeypot=value)) == []


# ---- form tokens --------------------------------------------------------------------------


def judge_token(rules: SpamSettings, token: str | None, now: datetime,
                site: str = "news") -> str | None:
    return spam.form_token_problem(token, SECRET, site, rules, now)


def test_token_old_enough_and_fresh_enough_passes(rules) -> None:
    issued = spam.issue_form_token(SECRET, "news")
    at_min = issued.issued_at + timedelta(seconds=rules.form_token_min_seconds)
    at_max = issued.issued_at + timedelta(seconds=rules.form_token_max_age_seconds)
    assert judge_token(rules, issued.token, at_min) is None
    assert judge_token(rules, issued.token, at_max) is None


def test_token_sent_faster_than_a_human_types_is_too_fast(rules) -> None:
    issued = spam.issue_form_token(SECRET, "news")
    soon = issued.issued_at + timedelta(seconds=rules.form_token_min_seconds - 1)
    assert judge_token(rules, issued.token, soon) == "too_fast"


def test_token_older_than_max_age_is_expired(rules) -> None:
    issued = spam.issue_form_token(SECRET, "news")
    late = issued.issued_at + timedelta(seconds=rules.form_token_max_age_seconds + 1)
    assert judge_token(rules, issued.token, late) == "expired"


@pytest.mark.parametrize(
    "forge",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "not-a-token",
        lambda token: URLSafeTimedSerializer("another-secret", salt=spam.FORM_TOKEN_SALT)
        .dumps({"site": "news"}),
        lambda token: URLSafeTimedSerializer(SECRET, salt="another-purpose")
        .dumps({"site": "news"}),
        lambda token: URLSafeTimedSerializer(SECRET, salt=spam.FORM_TOKEN_SALT).dumps("news"),
    ],
    ids=["altered", "garbage", "other-secret", "other-salt", "other-payload"],
)
def test_forged_token_is_refused(rules, forge) -> None:
    issued = spam.issue_form_token(SECRET, "news")
    later = issued.issued_at + timedelta(seconds=60)
    assert judge_token(rules, forge(issued.token), later) == "forged"


def test_token_of_another_site_is_refused(rules) -> None:
    issued = spam.issue_form_token(SECRET, "other")
    later = issued.issued_at + timedelta(seconds=60)
    assert judge_token(rules, issued.token, later) == "other_site"


def test_missing_token_passes_unless_tokens_are_required(rules) -> None:
    assert judge_token(rules, None, NOW) is None
    required = dataclasses.replace(rules, form_token_required=True)
    assert judge_token(required, None, NOW) == "missing"
    assert tripped(required, signals=spam.Signals()) == [spam.FORM_TOKEN]


def test_bad_token_trips_the_rule_even_when_not_required(rules) -> None:
    assert tripped(rules, signals=spam.Signals(form_token="forged")) == [spam.FORM_TOKEN]


# ---- content ------------------------------------------------------------------------------


def test_more_links_than_allowed_trips_the_rule(rules) -> None:
    links = " ".join(f"https://site{i}.example" for i in range(rules.max_links))
    assert tripped(rules, links) == []
    assert tripped(rules, links + " https://one-more.example") == [spam.LINKS]


@pytest.mark.parametrize(
    ("text", "blocked"),
    [
        ("Try the CASINO tonight", True),
        ("casino!", True),
        ("buy    followers now", True),
        ("get $$$ today", True),
        ("casinos are many", False),
        ("a special occasion", False),
        ("just a comment", False),
    ],
)
def test_blocked_words_match_whole_words_case_insensitively(text, blocked) -> None:
    words = ("casino", "buy followers", "$$$")
    assert spam.has_blocked_word(text, words) is blocked


def test_blocked_word_in_author_name_or_website_trips_the_rule(rules) -> None:
    listed = dataclasses.replace(rules, blocked_words=("casino",))
    assert tripped(listed, author_name="Casino King") == [spam.BLOCKED_WORDS]
    assert tripped(listed, author_website="https://casino.example") == [spam.BLOCKED_WORDS]
    assert tripped(listed) == []


def test_empty_blocked_list_blocks_nothing() -> None:
    assert spam.has_blocked_word("anything at all", ()) is False
    assert spam.has_blocked_word("anything at all", ("  ",)) is False


# ---- site action --------------------------------------------------------------------------


def test_site_setting_overrides_the_default_action(caplog) -> None:
    assert spam.action_for({"spam_action": "hold"}, "reject") == "hold"
    assert spam.action_for({}, "hold") == "hold"
    assert spam.action_for(None, "reject") == "reject"
    with caplog.at_level(logging.WARNING, logger="comments_service.services.spam"):
        assert spam.action_for({"spam_action": "shred"}, "reject") == "reject"
    assert [r.getMessage() for r in caplog.records] == ["site_spam_action_unknown"]


# ---- the duplicate query ------------------------------------------------------------------

AUTHOR = Author(client_hash="c0ffee", secret=SECRET)


def on_a1(site_row) -> dict[str, Any]:
    """The duplicate rule's scope: article a1 of the test site."""
    return {"site_id": site_row.id, "article_key": "a1"}


def store(session, site_row, body: str, author: Author = AUTHOR, when: datetime = NOW,
          email: str | None = None) -> None:
    draft = CommentDraft(article_key="a1", body=body, author_email=email)
    post_comment(session, site_row, draft, author, load_settings(environ={}).comments, when)
    session.commit()


def test_same_body_from_same_client_within_window_is_a_duplicate(session, site_row) -> None:
    store(session, site_row, "Hello there")
    since = NOW - timedelta(hours=1)
    assert spam.is_duplicate(session, "Hello there", "c0ffee", None, since, **on_a1(site_row))
    assert not spam.is_duplicate(session, "Hello there!", "c0ffee", None, since,
                                 **on_a1(site_row))
    assert not spam.is_duplicate(session, "Hello there", "other", None, since,
                                 **on_a1(site_row))
    assert not spam.is_duplicate(session, "Hello there", "c0ffee", None, NOW + timedelta(1),
                                 **on_a1(site_row))


def test_same_body_with_same_email_from_another_client_is_a_duplicate(
    session, site_row
) -> None:
    store(session, site_row, "Hello there", email="ann@example.com")
    since = NOW - timedelta(hours=1)
    assert spam.is_duplicate(session, "Hello there", "new-client", "ann@example.com", since,
                             **on_a1(site_row))
    assert not spam.is_duplicate(session, "Hello there", None, None, since, **on_a1(site_row))


def test_the_same_body_under_another_article_or_site_is_not_a_duplicate(
    session, site_row
) -> None:
    """A short "Thanks!" may be said under two articles; only one thread is the scope."""
    store(session, site_row, "Thanks!")
    since = NOW - timedelta(hours=1)
    assert spam.is_duplicate(session, "Thanks!", "c0ffee", None, since,
                             site_id=site_row.id, article_key="a1")
    assert not spam.is_duplicate(session, "Thanks!", "c0ffee", None, since,
                                 site_id=site_row.id, article_key="a2")
    assert not spam.is_duplicate(session, "Thanks!", "c0ffee", None, since,
                                 site_id=site_row.id + 1, article_key="a1")


def test_duplicate_check_is_one_query_served_by_an_index(session, site_row) -> None:
    store(session, site_row, "Hello there", email="ann@example.com")
    since = NOW - timedelta(hours=1)
    scope = on_a1(site_row)
    engine = session.get_bind()
    executed: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        executed.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert spam.is_duplicate(session, "Hello there", "c0ffee", "ann@example.com", since,
                                 **scope)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(executed) == 1
    statement, parameters = executed[0]
    explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    if engine.dialect.name == "postgresql":
        # On a near-empty table PostgreSQL rightly prefers a scan; ask what it can use.
        session.connection().exec_driver_sql("SET LOCAL enable_seqscan = off")
    plan = session.connection().exec_driver_sql(explain + statement, parameters).all()
    details = " ".join(str(column) for row in plan for column in row)
    assert "ix_comments_client_recent" in details
    assert "ix_comments_email_recent" in details


# ---- judge: the verdict -------------------------------------------------------------------


def judge(session, site_row, rules: SpamSettings, body: str = "A fine comment.",
          signals: spam.Signals | None = None) -> CommentStatus:
    return spam.judge(session, site_row, candidate(body), "c0ffee", SECRET,
                      spam.Screening(rules, signals or spam.Signals()), NOW)


def test_clean_comment_is_visible(session, site_row, rules) -> None:
    assert judge(session, site_row, rules) is CommentStatus.VISIBLE


def test_tripped_rule_is_rejected_by_default(session, site_row, rules, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="comments_service.services.spam"), \
            pytest.raises(SpamRejected):
        judge(session, site_row, rules, signals=spam.Signals(honeypot="x"))
    record = next(r for r in caplog.records if r.getMessage() == "comment_screened")
    assert (record.rules, record.action) == ("honeypot", "reject")


def test_tripped_rule_is_held_when_the_site_holds(session, site_row, rules) -> None:
    site_row.settings = {"spam_action": "hold"}
    held = judge(session, site_row, rules, signals=spam.Signals(honeypot="x"))
    assert held is CommentStatus.PENDING


def test_duplicate_is_refused_even_when_the_site_holds(session, site_row, rules) -> None:
    store(session, site_row, "A fine comment.")
    site_row.settings = {"spam_action": "hold"}
    with pytest.raises(DuplicateComment):
        judge(session, site_row, rules)


def test_duplicate_window_zero_turns_the_rule_off(session, site_row, rules) -> None:
    store(session, site_row, "A fine comment.")
    off = dataclasses.replace(rules, duplicate_window_seconds=0)
    assert judge(session, site_row, off) is CommentStatus.VISIBLE


def test_disabled_rules_let_everything_through(session, site_row, rules) -> None:
    store(session, site_row, "A fine comment.")
    off = dataclasses.replace(rules, enabled=False)
    assert judge(session, site_row, off, signals=spam.Signals(honeypot="x")) is \
        CommentStatus.VISIBLE


def test_edit_adding_too_many_links_is_rejected(rules) -> None:
    body = " ".join(f"https://site{i}.example" for i in range(rules.max_links + 1))
    with pytest.raises(SpamRejected):
        spam.check_edit(body, sanitize.render(body), rules)
    spam.check_edit("fixed a typo", sanitize.render("fixed a typo"), rules)


# ---- the Akismet-compatible checker --------------------------------------------------------


@pytest.fixture
def checker() -> Iterator[FakeChecker]:
    with FakeChecker() as fake:
        yield fake


def checking(rules: SpamSettings, url: str, timeout: float = 5.0) -> SpamSettings:
    return dataclasses.replace(rules, checker_url=url, checker_key="k3y",
                               checker_timeout_s=timeout)


SIGNALS = spam.Signals(user_agent="Mozilla/5.0", referrer="https://news.example/a1",
                       client_address="203.0.113.77")


def test_checker_saying_spam_trips_the_rule(session, site_row, rules, checker) -> None:
    checker.answer = "true"
    site_row.settings = {"spam_action": "hold"}
    status = judge(session, site_row, checking(rules, checker.url), signals=SIGNALS)
    assert status is CommentStatus.PENDING
    assert len(checker.forms) == 1


def test_checker_gets_the_comment_in_akismet_fields(session, site_row, rules, checker) -> None:
    assert judge(session, site_row, checking(rules, checker.url), signals=SIGNALS) is \
        CommentStatus.VISIBLE
    (form,) = checker.forms
    assert form["api_key"] == "k3y"
    assert form["blog"] == "https://news.example"
    assert form["comment_content"] == "A fine comment."
    assert form["comment_type"] == "comment"
    assert form["user_agent"] == "Mozilla/5.0"
    assert form["user_ip"] == "203.0.113.0", "only the network unless configured"


def test_checker_gets_the_full_address_only_when_configured(rules) -> None:
    sends = dataclasses.replace(rules, checker_sends_address=True)
    form = spam.checker_form(candidate(), SIGNALS, sends, "https://news.example")
    assert form["user_ip"] == "203.0.113.77"


def test_checker_is_not_asked_when_a_local_rule_tripped(session, site_row, rules,
                                                        checker) -> None:
    with pytest.raises(SpamRejected):
        judge(session, site_row, checking(rules, checker.url),
              signals=spam.Signals(honeypot="x"))
    assert checker.forms == []


def test_checker_down_fails_open_with_a_warning(rules, caplog) -> None:
    down = checking(rules, "http://127.0.0.1:1/1.1/comment-check")
    with caplog.at_level(logging.WARNING, logger="comments_service.services.spam"):
        verdict = spam.ask_checker(candidate(), SIGNALS, down, "https://news.example")
    assert verdict is None
    assert [r.getMessage() for r in caplog.records] == ["spam_checker_unavailable"]


def test_slow_checker_is_abandoned_at_the_timeout(rules, checker, caplog) -> None:
    checker.hold.clear()
    slow = checking(rules, checker.url, timeout=0.2)
    with caplog.at_level(logging.WARNING, logger="comments_service.services.spam"):
        verdict = spam.ask_checker(candidate(), SIGNALS, slow, "https://news.example")
    assert verdict is None
    (record,) = caplog.records
    assert (record.getMessage(), record.reason) == ("spam_checker_unavailable", "timeout")


def test_slow_checker_does_not_stop_a_post(session, site_row, rules, checker) -> None:
    checker.hold.clear()
    slow = checking(rules, checker.url, timeout=0.2)
    assert judge(session, site_row, slow, signals=SIGNALS) is CommentStatus.VISIBLE


@pytest.mark.parametrize("answer", ["invalid", "", "maybe"])
def test_checker_answering_neither_true_nor_false_fails_open(rules, checker, answer,
                                                           caplog) -> None:
    checker.answer = answer
    with caplog.at_level(logging.WARNING, logger="comments_service.services.spam"):
        verdict = spam.ask_checker(candidate(), SIGNALS, checking(rules, checker.url), "b")
    assert verdict is None
    assert caplog.records[0].reason == "unexpected_answer"


def test_checker_off_by_default_is_never_asked(rules) -> None:
    assert rules.checker_url == ""
    assert spam.ask_checker(candidate(), SIGNALS, rules, "b") is None
