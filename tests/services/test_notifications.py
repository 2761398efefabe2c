"""services/notifications.py: who gets a row in the outbox, and when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comments_service.config import CommentSettings, NotificationSettings, load_settings
from comments_service.errors import ValidationFailed
from comments_service.events import EventBus
from comments_service.models import (
    Comment,
    CommentStatus,
    NotifyAddress,
    OutboxMessage,
    Site,
    Subscription,
    Thread,
)
from comments_service.services import notifications, posting

SECRET = "test-secret-key-not-for-production"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ANN = "ann@example.com"
BOB = "bob@example.com"


@pytest.fixture
def rules() -> CommentSettings:
    return load_settings(environ={}).comments


@pytest.fixture
def notify_settings() -> NotificationSettings:
    return load_settings(environ={}).notifications


def _post(session: Session, site: Site, rules, notify_settings, body: str = "Hi",
          **fields) -> Comment:
    draft = posting.CommentDraft(article_key=fields.pop("article", "a1"), body=body, **fields)
    author = posting.Author(client_hash=None, secret=SECRET)
    events = EventBus()
    if notify_settings is not None:
        notifications.NotificationSubscriber(notify_settings, SECRET).subscribe(events)
    return posting.post_comment(session, site, draft, author, rules, NOW,
                                events=events).comment


def _rows(session: Session) -> list[tuple[str, str, dict]]:
    rows = session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()
    return [(r.kind, r.recipient, r.payload) for r in rows]


def _confirm(session: Session, address: str) -> None:
    assert notifications.confirm_address(session, notifications.address_hash(address, SECRET), NOW)


def test_address_hash_is_keyed_and_ignores_case():
    assert notifications.address_hash("Ann@Example.com", SECRET) == notifications.address_hash(
        " ann@example.com ", SECRET)
    assert notifications.address_hash(ANN, SECRET) != notifications.address_hash(ANN, "other")


def test_consent_is_stored_as_a_hash_never_the_address(session, site_row, rules,
                                                        notify_settings):
    _post(session, site_row, rules, notify_settings, author_email=ANN, notify="all")
    [consent] = session.execute(select(NotifyAddress)).scalars()
    assert consent.address_hash == notifications.address_hash(ANN, SECRET)
    assert consent.confirmed_at is None


def test_notify_without_an_email_is_a_422_naming_author_email(session, site_row, rules,
                                                               notify_settings):
    with pytest.raises(ValidationFailed) as caught:
        _post(session, site_row, rules, notify_settings, notify="replies")
    assert set(caught.value.fields) == {"author_email"}


def test_first_subscription_of_an_unconfirmed_address_queues_only_a_confirmation(
    session, site_row, rules, notify_settings
):
    _post(session, site_row, rules, notify_settings, author_email=ANN, notify="all")
    _post(session, site_row, rules, notify_settings, body="Someone else")
    assert [(kind, to) for kind, to, _ in _rows(session)] == [("confirm", ANN)]


def test_confirmation_is_queued_again_only_after_the_resend_window(
    session, site_row, rules, notify_settings
):
    thread = session.execute(select(Thread)).scalar_one_or_none()
    assert thread is None
    _post(session, site_row, rules, notify_settings, author_email=ANN, notify="all")
    thread = session.execute(select(Thread)).scalar_one()
    later = NOW + timedelta(seconds=notify_settings.confirmation_resend_seconds)
    notifications.follow_thread(session, thread, ANN, "all", notify_settings, SECRET,
                                NOW + timedelta(seconds=1))
    assert len(_rows(session)) == 1
    notifications.follow_thread(session, thread, ANN, "all", notify_settings, SECRET, later)
    assert len(_rows(session)) == 2


def test_reply_queues_one_email_for_the_parent_author_who_asked(session, site_row, rules,
                                                                notify_settings):
    top = _post(session, site_row, rules, notify_settings, author_email=ANN, notify="replies")
    _confirm(session, ANN)
    session.execute(OutboxMessage.__table__.delete())
    reply = _post(session, site_row, rules, notify_settings, body="Re", parent_id=top.id,
                  author_email=BOB)
    [(kind, to, payload)] = _rows(session)
    assert (kind, to) == ("comment", ANN)
    assert payload["comment_id"] == reply.id
    assert payload["reason"] == "reply"


def test_replies_subscriber_is_not_told_of_other_comments(session, site_row, rules,
                                                          notify_settings):
    _post(session, site_row, rules, notify_settings, author_email=ANN, notify="replies")
    _confirm(session, ANN)
    session.execute(OutboxMessage.__table__.delete())
    _post(session, site_row, rules, notify_settings, body="Unrelated", author_email=BOB)
    assert _rows(session) == []


def test_author_who_did_not_ask_gets_nothing_for_replies(session, site_row, rules,
                                                         notify_settings):
    top = _post(session, site_row, rules, notify_settings, author_email=ANN)
    _post(session, site_row, rules, notify_settings, body="Re", parent_id=top.id)
    assert _rows(session) == []


def test_posting_again_never_narrows_a_subscription(session, site_row, rules, notify_settings):
    _post(session, site_row, rules, notify_settings, author_email=ANN, notify="all")
    _post(session, site_row, rules, notify_settings, author_email=ANN, notify="replies")
    [subscription] = session.execute(select(Subscription)).scalars()
    assert subscription.mode == "all"


def test_pending_comment_queues_moderator_notices_then_subscribers_once_visible(
    session, site_row, rules, notify_settings
):
    settings = NotificationSettings(**{**notify_settings.__dict__,
                                       "moderator_addresses": ("mod@example.com",)})
    _post(session, site_row, rules, settings, author_email=ANN, notify="all")
    _confirm(session, ANN)
    session.execute(OutboxMessage.__table__.delete())

    # As moderation will: a comment held for approval ...
    comment = _post(session, site_row, rules, None, body="Held")
    comment.status = CommentStatus.PENDING.value
    thread = session.get(Thread, comment.thread_id)
    notifications.record_new_comment(session, thread, comment, "none", settings, SECRET, NOW)
    assert [(k, to) for k, to, _ in _rows(session)] == [("moderator", "mod@example.com")]
    assert notifications.enqueue_for_comment(session, comment, NOW) == 0

    # ... then approved: now the thread's subscribers hear of it, once.
    comment.status = CommentStatus.VISIBLE.value
    notifications.enqueue_for_comment(session, comment, NOW)
    notifications.enqueue_for_comment(session, comment, NOW)
    assert [(k, to) for k, to, _ in _rows(session)] == [
        ("moderator", "mod@example.com"), ("comment", ANN)]


def test_moderator_notice_is_sent_once_per_comment_and_reason(session, site_row, rules,
                                                              notify_settings):
    comment = _post(session, site_row, rules, None)
    for _ in range(3):
        notifications.enqueue_moderator_notice(
            session, comment, "flagged", ["mod@example.com", "MOD@example.com"], NOW)
    assert len(_rows(session)) == 1


def test_outbox_rows_are_rolled_back_with_their_comment(session, site_row, rules,
                                                        notify_settings):
    session.commit()
    _post(session, site_row, rules, notify_settings, author_email=ANN, notify="all")
    assert len(_rows(session)) == 1
    session.rollback()
    assert session.execute(select(func.count()).select_from(OutboxMessage)).scalar() == 0


def test_notifications_off_writes_nothing(session, site_row, rules, notify_settings):
    off = NotificationSettings(**{**notify_settings.__dict__, "enabled": False})
    _post(session, site_row, rules, off, author_email=ANN, notify="all")
    assert _rows(session) == []
    assert session.execute(select(func.count()).select_from(Subscription)).scalar() == 0


def test_set_mode_changes_or_stops_and_never_creates(session, site_row, rules,
                                                     notify_settings):
    _post(session, site_row, rules, notify_settings, author_email=ANN, notify="all")
    hashed = notifications.address_hash(ANN, SECRET)
    thread_id = session.execute(select(Thread.id)).scalar_one()
    assert notifications.set_mode(session, thread_id, hashed, "replies")
    assert notifications.subscription_mode(session, thread_id, hashed) == "replies"
    assert notifications.set_mode(session, thread_id, hashed, "none")
    assert notifications.subscription_mode(session, thread_id, hashed) == "none"
    assert not notifications.set_mode(session, thread_id, hashed, "all")
    assert notifications.subscription_mode(session, thread_id, hashed) == "none"


def test_article_links_only_point_to_the_sites_own_origins(session, site_row, rules,
                                                           notify_settings):
    mine = _post(session, site_row, rules, None, url="https://news.example/a1")
    theirs = _post(session, site_row, rules, None, article="a2",
                   url="https://phish.example/login")
    assert notifications.comment_context(session, mine.id).thread_url == (
        "https://news.example/a1")
    assert notifications.comment_context(session, theirs.id).thread_url is None
    assert notifications.thread_context(session, theirs.thread_id).url is None
