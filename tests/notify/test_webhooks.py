"""notify/webhooks.py: signed JSON POSTs to a real local HTTP receiver, retried via the outbox."""

from __future__ import annotations

import hashlib
import hmac
import json

from sqlalchemy import select

from comments_service.extensions import db
from comments_service.models import OutboxMessage
from comments_service.notify import webhooks as sender
from comments_service.services import sites, webhooks
from tests.conftest import Api
from tests.notify.conftest import free_port, make_worker


def _add_webhook(app, url: str) -> str:
    with app.app_context():
        hook = webhooks.add_webhook(db.session, sites.get_site(db.session, "news"), url)
        db.session.commit()
    return hook.secret


def _rows(app) -> list[OutboxMessage]:
    with app.app_context():
        return list(db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id))
                    .scalars())


def test_webhook_call_is_signed_over_the_raw_body_and_verifies(
    make_app, site_factory, webhook_receiver
):
    app = make_app()
    api: Api = site_factory(app)
    secret = _add_webhook(app, webhook_receiver.url)
    comment_id = api.posted_id("Hook *me*", author_name="Ann", author_email="ann@example.com",
                               url="https://news.example/a1")
    make_worker(app).run_until_idle()

    [call] = webhook_receiver.calls
    expected = "sha256=" + hmac.new(secret.encode(), call.body, hashlib.sha256).hexdigest()
    assert call.headers["X-Comments-Signature"] == expected
    assert sender.is_valid_signature(secret, call.body, call.headers["X-Comments-Signature"])
    assert not sender.is_valid_signature("another-secret", call.body, expected)
    body = json.loads(call.body)
    assert body["event"] == call.headers["X-Comments-Event"] == "comment.published"
    assert str(body["timestamp"]) == call.headers["X-Comments-Timestamp"]
    assert str(body["delivery_id"]) == call.headers["X-Comments-Delivery"]
    assert body["comment"]["id"] == comment_id
    assert body["comment"]["url"] == f"https://news.example/a1#comment-{comment_id}"
    assert body["comment"]["body_html"] == "<p>Hook <em>me</em></p>"
    assert "ann@example.com" not in call.body.decode()
    assert call.headers["Content-Type"] == "application/json"


def test_failing_webhook_is_retried_through_the_outbox_with_the_same_delivery_id(
    make_app, site_factory, webhook_receiver
):
    app = make_app(notifications={"retry_base_seconds": 0})
    api: Api = site_factory(app)
    _add_webhook(app, webhook_receiver.url)
    webhook_receiver.statuses.extend([500, 302])
    api.posted_id("Retry me")
    worker = make_worker(app)

    assert worker.run_once() == 1
    [row] = _rows(app)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "WebhookFailed: HTTP 500")
    assert worker.run_once() == 1  # a redirect is not followed: another failure
    worker.run_until_idle()

    deliveries = {call.headers["X-Comments-Delivery"] for call in webhook_receiver.calls}
    assert len(webhook_receiver.calls) == 3
    assert len(deliveries) == 1
    assert _rows(app)[0].status == "sent"


def test_webhook_removed_before_delivery_is_cancelled(make_app, site_factory, webhook_receiver):
    app = make_app()
    api: Api = site_factory(app)
    _add_webhook(app, webhook_receiver.url)
    api.posted_id("Too late")
    with app.app_context():
        assert webhooks.remove_webhook(db.session, sites.get_site(db.session, "news"),
                                       webhook_receiver.url)
        db.session.commit()
    make_worker(app).run_until_idle()
    assert webhook_receiver.calls == []
    assert [r.status for r in _rows(app)] == ["cancelled"]


def test_unreachable_webhook_fails_without_crashing_the_worker(make_app, site_factory):
    app = make_app(notifications={"webhook_timeout_seconds": 2})
    api: Api = site_factory(app)
    _add_webhook(app, f"http://127.0.0.1:{free_port()}/nothing-listens-here")
    api.posted_id("Nobody home")
    assert make_worker(app).run_once() == 1
    [row] = _rows(app)
    assert row.status == "pending"
    assert "Connection refused" in (row.last_error or "")


def test_each_site_webhook_gets_its_own_row_and_secret(make_app, site_factory):
    app = make_app()
    site_factory(app)
    first = _add_webhook(app, "https://hooks.example/one")
    second = _add_webhook(app, "https://hooks.example/two")
    assert first != second
    with app.app_context():
        site = sites.get_site(db.session, "news")
        assert [h.url for h in webhooks.list_webhooks(site)] == [
            "https://hooks.example/one", "https://hooks.example/two"]
