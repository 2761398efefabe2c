"""notify/worker.py end to end: the API writes the outbox, the worker mails a real SMTP server."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, select

from comments_service.extensions import db
from comments_service.models import Comment, OutboxMessage, Thread
from comments_service.services import notifications, outbox
from tests.conftest import Api
from tests.notify.conftest import (
    DOMAIN,
    PUBLIC_URL,
    SmtpServer,
    confirm,
    make_worker,
    subscribe,
)

ANN = "ann@example.com"
BOB = "bob@example.com"
CAROL = "carol@example.com"


def _outbox(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()
        return list(rows)


def test_reply_reaches_the_parent_authors_inbox_once(notify_app, site_factory, smtp_server):
    app = notify_app()
    api: Api = site_factory(app)
    top = api.posted_id("Is this **true**?", author_name="Ann", author_email=ANN,
                        notify="replies", url="https://news.example/a1", title="Big news")
    confirm(app, ANN)
    reply = api.posted_id("Yes <b>really</b> & truly", parent_id=top, author_name="Bob",
                          author_email=BOB)
    worker = make_worker(app)
    worker.run_until_idle()
    worker.run_until_idle()

    # Ann confirmed before her confirmation email left: it was cancelled, not sent.
    [mail] = smtp_server.sink.received
    assert mail.rcpt_tos == [ANN]
    assert mail.message["Subject"] == "Bob replied to your comment on Big news"
    assert mail.message["Message-ID"] == f"<comment-{reply}@{DOMAIN}>"
    assert mail.message["In-Reply-To"] == f"<comment-{top}@{DOMAIN}>"
    assert mail.message["References"].split() == [
        f"<thread-1@{DOMAIN}>", f"<comment-{top}@{DOMAIN}>"]
    assert f"https://news.example/a1#comment-{reply}" in mail.text
    assert "> Yes <b>really</b> & truly" in mail.text
    assert "Yes &lt;b&gt;really&lt;/b&gt; &amp; truly" in mail.html
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail.message["List-Unsubscribe"].startswith(f"<{PUBLIC_URL}/notify/unsubscribe/")
    assert not smtp_server.sink.to(BOB)


def test_thread_subscriber_gets_every_new_comment(notify_app, site_factory, smtp_server):
    app = notify_app()
    api: Api = site_factory(app)
    subscribe(api.client, api.site, CAROL)
    confirm(app, CAROL)
    first = api.posted_id("First", author_name="Dan")
    api.posted_id("Second, a reply", parent_id=first, author_name="Eve")
    make_worker(app).run_until_idle()

    subjects = sorted(m.message["Subject"] for m in smtp_server.sink.to(CAROL))
    assert subjects == ["New comment by Dan on a1", "New comment by Eve on a1"]


def test_author_is_never_notified_of_their_own_comment(notify_app, site_factory, smtp_server):
    app = notify_app()
    api: Api = site_factory(app)
    api.posted_id("Mine", author_email=ANN, notify="all")
    confirm(app, ANN)
    api.posted_id("Mine again", author_email="ANN@Example.com")
    make_worker(app).run_until_idle()
    assert smtp_server.sink.received == []
    assert [(r.kind, r.status) for r in _outbox(app)] == [("confirm", "cancelled")]


def test_reply_to_me_and_all_in_thread_give_one_email(notify_app, site_factory, smtp_server):
    app = notify_app()
    api: Api = site_factory(app)
    top = api.posted_id("Question", author_email=ANN, notify="replies")
    subscribe(api.client, api.site, ANN)  # and every comment in the thread
    confirm(app, ANN)
    api.posted_id("Answer", parent_id=top, author_name="Bob")
    make_worker(app).run_until_idle()

    assert [m.message["Subject"] for m in smtp_server.sink.to(ANN)] == [
        "Bob replied to your comment on a1"]


def test_unconfirmed_address_gets_only_the_confirmation_until_it_confirms(
    notify_app, site_factory, smtp_server
):
    app = notify_app()
    api: Api = site_factory(app)
    api.posted_id("Tell me everything", author_email=ANN, notify="all")
    api.posted_id("Something new", author_name="Bob")
    worker = make_worker(app)
    worker.run_until_idle()

    [only] = smtp_server.sink.to(ANN)
    assert only.message["Subject"] == "Confirm notifications from News"
    assert "Something new" not in only.text
    link = re.search(rf"{PUBLIC_URL}(/notify/confirm/\S+)", only.text)
    assert link is not None

    page = api.client.get(link.group(1))
    assert page.status_code == 200
    assert 'method="post"' in page.get_data(as_text=True)
    api.posted_id("Before confirming", author_name="Bob")
    worker.run_until_idle()
    assert len(smtp_server.sink.to(ANN)) == 1  # GET showed a page and changed nothing

    assert api.client.post(link.group(1)).status_code == 200
    api.posted_id("After confirming", author_name="Carol")
    worker.run_until_idle()
    subjects = [m.message["Subject"] for m in smtp_server.sink.to(ANN)]
    assert subjects[1:] == ["New comment by Carol on a1"]


def test_repeated_subscriptions_of_an_unconfirmed_address_send_one_confirmation(
    notify_app, site_factory, smtp_server
):
    app = notify_app()
    api: Api = site_factory(app)
    for article in ("a1", "a2", "a3"):
        subscribe(api.client, api.site, ANN, article)
    make_worker(app).run_until_idle()
    assert len(smtp_server.sink.to(ANN)) == 1


def test_smtp_down_then_up_delivers_exactly_once(notify_app, site_factory, smtp_port):
    app = notify_app(max_attempts=5)
    api: Api = site_factory(app)
    subscribe(api.client, api.site, CAROL)
    confirm(app, CAROL)
    with app.app_context():
        db.session.execute(OutboxMessage.__table__.delete())  # the confirmation: not this test
        db.session.commit()
    api.posted_id("While the mail server is down", author_name="Dan")
    worker = make_worker(app)

    assert worker.run_once() == 1  # nobody listens on smtp_port: the try fails
    [row] = _outbox(app)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "ConnectionRefusedError" in (row.last_error or "")
    assert CAROL not in (row.last_error or "")

    server = SmtpServer(smtp_port).start()
    try:
        worker.run_until_idle()
        worker.run_until_idle()
    finally:
        server.stop()
    [mail] = server.sink.received
    assert mail.rcpt_tos == [CAROL]
    [row] = _outbox(app)
    assert (row.status, row.attempts) == ("sent", 2)


def test_message_is_dead_after_max_attempts_and_retry_revives_it(
    notify_app, site_factory, smtp_port
):
    app = notify_app(max_attempts=3)
    api: Api = site_factory(app)
    subscribe(api.client, api.site, CAROL)  # its confirmation email cannot be sent
    worker = make_worker(app)
    for _ in range(3):
        assert worker.run_once() == 1
    assert worker.run_once() == 0
    [row] = _outbox(app)
    assert (row.status, row.attempts) == ("dead", 3)
    with app.app_context():
        [dead] = outbox.list_dead(db.session)
        assert (dead.id, dead.kind) == (row.id, "confirm")
        outbox.retry(db.session, row.id, datetime.now(UTC))
        db.session.commit()

    server = SmtpServer(smtp_port).start()
    try:
        worker.run_until_idle()
    finally:
        server.stop()
    assert len(server.sink.to(CAROL)) == 1
    assert _outbox(app)[0].status == "sent"


def test_claim_left_by_a_crashed_worker_is_delivered_after_its_lease(
    notify_app, site_factory, smtp_server
):
    app = notify_app(lease_seconds=60)
    api: Api = site_factory(app)
    subscribe(api.client, api.site, CAROL)
    with app.app_context():
        claimed = outbox.claim_due(db.session, datetime.now(UTC), lease_seconds=60, limit=10)
        db.session.commit()  # ... and the worker that claimed it dies here
    assert len(claimed) == 1
    assert make_worker(app).run_until_idle() == 0  # still leased

    later = make_worker(app, clock=lambda: datetime.now(UTC) + timedelta(seconds=61))
    assert later.run_until_idle() == 1
    assert len(smtp_server.sink.to(CAROL)) == 1


class SendThenCrash:
    """A transport that delivers, then fails before the worker can mark the row sent."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.crashes = 1

    def send(self, message) -> None:
        self.inner.send(message)
        if self.crashes:
            self.crashes -= 1
            raise RuntimeError("worker died after sending")


def test_crash_between_send_and_mark_resends_with_the_same_message_id(
    notify_app, site_factory, smtp_server
):
    app = notify_app()
    api: Api = site_factory(app)
    subscribe(api.client, api.site, CAROL)
    confirm(app, CAROL)
    with app.app_context():
        db.session.execute(OutboxMessage.__table__.delete())
        db.session.commit()
    api.posted_id("Sent twice, known as one", author_name="Dan")
    plain = make_worker(app)
    worker = make_worker(app, transport=SendThenCrash(plain.transport))
    worker.run_until_idle()

    first, second = smtp_server.sink.to(CAROL)
    assert first.message["Message-ID"] == second.message["Message-ID"]
    assert [r.status for r in _outbox(app)] == ["sent"]


def _subscribed_thread(app, api: Api, count: int) -> None:
    """`count` confirmed subscribers of thread a1 (made directly: this is about delivery)."""
    api.posted_id("Opening", author_name="Host")
    with app.app_context():
        thread = db.session.execute(select(Thread)).scalar_one()
        settings = app.extensions["comments_settings"].notifications
        secret = app.config["SECRET_KEY"]
        now = datetime.now(UTC)
        for i in range(count):
            address = f"reader{i}@example.com"
            notifications.follow_thread(db.session, thread, address, "all", settings, secret, now)
            notifications.confirm_address(db.session, notifications.address_hash(address, secret),
                                          now)
        db.session.execute(OutboxMessage.__table__.delete())
        db.session.commit()


def test_two_concurrent_workers_deliver_each_message_exactly_once(
    notify_app, site_factory, smtp_server, database_url
):
    app = notify_app(batch_size=3)
    api: Api = site_factory(app)
    readers = 60
    _subscribed_thread(app, api, readers)
    api.posted_id("News for everyone", author_name="Host")
    assert len(_outbox(app)) == readers

    # Each worker on its own engine, so each claims over its own connection.
    options = {"connect_args": {"timeout": 30}} if database_url.startswith("sqlite") else {}
    engines = [create_engine(database_url, **options) for _ in range(2)]
    workers = [make_worker(app, engine) for engine in engines]
    start = threading.Barrier(2)
    errors: list[BaseException] = []
    claimed = [0, 0]

    def work(index: int) -> None:
        start.wait()
        try:
            claimed[index] = workers[index].run_until_idle()
        except BaseException as exc:  # noqa: BLE001 - reported below, in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.dispose()

    assert errors == []
    assert sum(claimed) == readers
    recipients = [r for mail in smtp_server.sink.received for r in mail.rcpt_tos]
    assert sorted(recipients) == sorted(f"reader{i}@example.com" for i in range(readers))
    assert {row.status for row in _outbox(app)} == {"sent"}


def test_server_thread_worker_delivers_and_stops_cleanly(notify_app, site_factory, smtp_server):
    app = notify_app(worker="thread", poll_interval_seconds=0.05)
    worker_thread = app.extensions["comments_outbox_worker"]
    try:
        api: Api = site_factory(app)
        subscribe(api.client, api.site, CAROL)
        for _ in range(400):  # bounded wait for the thread to send the confirmation
            if smtp_server.sink.to(CAROL):
                break
            time.sleep(0.025)
        assert len(smtp_server.sink.to(CAROL)) == 1
    finally:
        worker_thread.stop()
    assert not worker_thread.is_alive


@pytest.mark.parametrize("worker", ["thread", "none"])
def test_no_worker_thread_when_notifications_are_off_or_worker_is_none(make_app, worker):
    app = make_app(notifications={"worker": worker, "enabled": worker == "none"})
    assert "comments_outbox_worker" not in app.extensions


def test_moderator_is_mailed_about_a_flagged_comment_once(notify_app, site_factory, smtp_server):
    app = notify_app(moderator_addresses=["mod@example.com"])
    api: Api = site_factory(app)
    comment_id = api.posted_id("Rude words", author_name="Troll")
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        for _ in range(2):  # as moderation does on each flag
            notifications.enqueue_moderator_notice(
                db.session, comment, "flagged",
                app.extensions["comments_settings"].notifications.moderator_addresses,
                datetime.now(UTC))
        db.session.commit()
    make_worker(app).run_until_idle()
    [mail] = smtp_server.sink.to("mod@example.com")
    assert mail.message["Subject"] == "A comment by Troll was flagged: a1"
    assert "> Rude words" in mail.text
