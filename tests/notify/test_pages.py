"""notify/pages.py: the confirm and unsubscribe links, including RFC 8058 one-click."""

from __future__ import annotations

import re

import pytest
from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import select

from comments_service.extensions import db
from comments_service.models import OutboxMessage
from comments_service.notify import tokens
from comments_service.services import notifications
from tests.conftest import Api
from tests.notify.conftest import PUBLIC_URL, confirm, make_worker, subscribe

CAROL = "carol@example.com"


def _unsubscribe_path(app, api: Api, smtp_server) -> str:
    """Carol follows thread a1 and gets one comment email; the path of its unsubscribe link."""
    subscribe(api.client, api.site, CAROL)
    confirm(app, CAROL)
    api.posted_id("Hello", author_name="Dan")
    make_worker(app).run_until_idle()
    [mail] = smtp_server.sink.to(CAROL)
    url = mail.message["List-Unsubscribe"].strip("<>")
    assert url.startswith(f"{PUBLIC_URL}{tokens.UNSUBSCRIBE_PATH}")
    return url.removeprefix(PUBLIC_URL)


def _mode(app) -> str:
    with app.app_context():
        hashed = notifications.address_hash(CAROL, app.config["SECRET_KEY"])
        return notifications.subscription_mode(db.session, 1, hashed)


def test_unsubscribe_link_get_shows_a_form_and_changes_nothing(
    notify_app, site_factory, smtp_server
):
    app = notify_app()
    api: Api = site_factory(app)
    path = _unsubscribe_path(app, api, smtp_server)
    page = api.client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'method="post"' in html
    assert CAROL not in html
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert _mode(app) == "all"


def test_one_click_post_unsubscribes_and_nothing_more_is_sent(
    notify_app, site_factory, smtp_server
):
    app = notify_app()
    api: Api = site_factory(app)
    path = _unsubscribe_path(app, api, smtp_server)
    # What a mail client sends for RFC 8058: a form POST of List-Unsubscribe=One-Click.
    response = api.client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert _mode(app) == "none"
    assert api.client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    api.posted_id("Another", author_name="Dan")
    make_worker(app).run_until_idle()
    assert len(smtp_server.sink.to(CAROL)) == 1


def test_manage_form_narrows_to_replies_only(notify_app, site_factory, smtp_server):
    app = notify_app()
    api: Api = site_factory(app)
    path = _unsubscribe_path(app, api, smtp_server)
    assert api.client.post(path, data={"mode": "replies"}).status_code == 200
    assert _mode(app) == "replies"
    api.posted_id("Not a reply to Carol", author_name="Dan")
    make_worker(app).run_until_idle()
    assert len(smtp_server.sink.to(CAROL)) == 1


def test_queued_emails_follow_a_change_made_before_they_leave(
    notify_app, site_factory, smtp_server
):
    app = notify_app()
    api: Api = site_factory(app)
    path = _unsubscribe_path(app, api, smtp_server)
    api.posted_id("Queued while Carol was following everything", author_name="Dan")
    api.posted_id("Queued too", author_name="Dan")
    api.client.post(path, data={"mode": "replies"})
    make_worker(app).run_until_idle()
    assert len(smtp_server.sink.to(CAROL)) == 1
    with app.app_context():
        statuses = db.session.execute(
            select(OutboxMessage.status).order_by(OutboxMessage.id)).scalars().all()
    assert statuses[-2:] == ["cancelled", "cancelled"]


def test_unknown_mode_in_the_form_is_a_400_page(notify_app, site_factory, smtp_server):
    app = notify_app()
    api: Api = site_factory(app)
    path = _unsubscribe_path(app, api, smtp_server)
    assert api.client.post(path, data={"mode": "everything"}).status_code == 400
    assert _mode(app) == "all"


def _valid_tokens(app) -> tuple[str, str]:
    claim = tokens.LinkClaim("a" * 64, 1)
    secret = app.config["SECRET_KEY"]
    return tokens.confirm_token(secret, claim), tokens.manage_token(secret, claim)


def _forgeries(app) -> list[tuple[str, str]]:
    confirm_token, manage_token = _valid_tokens(app)
    other = "a-different-secret"
    payload = {"a": "a" * 64, "t": 1}
    flipped = manage_token[:-1] + ("A" if manage_token[-1] != "A" else "B")
    return [
        (tokens.UNSUBSCRIBE_PATH, "garbage"),
        (tokens.UNSUBSCRIBE_PATH, flipped),
        (tokens.UNSUBSCRIBE_PATH, manage_token[:-8]),
        (tokens.UNSUBSCRIBE_PATH, "." + manage_token),
        (tokens.UNSUBSCRIBE_PATH, URLSafeSerializer(other, salt=tokens.MANAGE_SALT).dumps(payload)),
        (tokens.UNSUBSCRIBE_PATH, confirm_token),  # a confirm token is not an unsubscribe one
        (tokens.UNSUBSCRIBE_PATH, URLSafeSerializer(
            app.config["SECRET_KEY"], salt=tokens.MANAGE_SALT).dumps({"a": "x", "t": "1"})),
        (tokens.CONFIRM_PATH, "garbage"),
        (tokens.CONFIRM_PATH, manage_token),
        (tokens.CONFIRM_PATH, URLSafeTimedSerializer(other, salt=tokens.CONFIRM_SALT)
         .dumps(payload)),
        (tokens.CONFIRM_PATH, confirm_token.replace(".", "..", 1)),
        (tokens.CONFIRM_PATH, "%ff%fe"),
    ]


def test_forged_or_altered_tokens_are_refused_with_400_never_500(make_app, site_factory):
    app = make_app()
    api: Api = site_factory(app)
    for base, token in _forgeries(app):
        for method in (api.client.get, api.client.post):
            response = method(f"{base}{token}", data={"List-Unsubscribe": "One-Click"})
            assert response.status_code == 400, (base, token, response.status_code)
            assert "not valid" in response.get_data(as_text=True)


def test_expired_confirmation_link_is_refused(make_app, site_factory):
    app = make_app(notifications={"confirmation_max_age_seconds": -1})
    api: Api = site_factory(app)
    confirm_token, _ = _valid_tokens(app)
    response = api.client.post(f"{tokens.CONFIRM_PATH}{confirm_token}")
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_confirm_link_for_an_address_that_never_subscribed_is_refused(make_app, site_factory):
    app = make_app()
    api: Api = site_factory(app)
    confirm_token, _ = _valid_tokens(app)
    assert api.client.post(f"{tokens.CONFIRM_PATH}{confirm_token}").status_code == 400


@pytest.mark.parametrize("path", [tokens.CONFIRM_PATH, tokens.UNSUBSCRIBE_PATH])
def test_link_pages_are_rate_limited(make_app, site_factory, path: str):
    app = make_app(limits={"enabled": True, "subscribe_per_client": "2 per minute",
                           "read_per_client": "2 per minute"})
    api: Api = site_factory(app)
    statuses = [api.client.post(f"{path}garbage").status_code for _ in range(3)]
    assert statuses == [400, 400, 429]


def test_confirmation_email_link_confirms_only_on_post(notify_app, site_factory, smtp_server):
    app = notify_app()
    api: Api = site_factory(app)
    subscribe(api.client, api.site, CAROL)
    make_worker(app).run_until_idle()
    [mail] = smtp_server.sink.to(CAROL)
    path = re.search(rf"{PUBLIC_URL}(/notify/confirm/\S+)", mail.text).group(1)
    hashed = notifications.address_hash(CAROL, app.config["SECRET_KEY"])
    assert api.client.get(path).status_code == 200
    with app.app_context():
        assert not notifications.is_confirmed(db.session, hashed)
    assert api.client.post(path).status_code == 200
    with app.app_context():
        assert notifications.is_confirmed(db.session, hashed)
