"""Moderator notices carry signed, single-use, expiring links to approve or hide a comment.

End to end: the real worker mails the notice through a real SMTP server; the links
are read from the message as it arrived and followed with the app's client.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pytest
from flask import Flask
from itsdangerous import TimestampSigner

from comments_service.extensions import db
from comments_service.models import AuditEntry, Comment
from comments_service.notify import tokens
from comments_service.services import notifications
from tests.conftest import Api
from tests.notify.conftest import PUBLIC_URL, make_worker

LINK = re.compile(re.escape(PUBLIC_URL) + r"(/notify/moderate/[A-Za-z0-9_.-]+)")


def _notice_links(app: Flask, api: Api, smtp_server, reason: str = "flagged") -> dict[str, str]:
    comment_id = api.posted_id("Rude words", author_name="Troll")
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        notifications.enqueue_moderator_notice(
            db.session, comment, reason,
            app.extensions["comments_settings"].notifications.moderator_addresses,
            datetime.now(UTC))
        db.session.commit()
    make_worker(app).run_until_idle()
    [mail] = smtp_server.sink.to("mod@example.com")
    plain = LINK.findall(mail.text)
    assert len(plain) == 2, mail.text
    assert LINK.findall(mail.html) == plain  # the HTML part links the same two
    approve, hide = plain
    return {"approve": approve, "hide": hide, "comment_id": str(comment_id)}


def _status(app: Flask, comment_id: str) -> str:
    with app.app_context():
        return db.session.get(Comment, int(comment_id)).status


@pytest.fixture
def setup(notify_app, site_factory, smtp_server):
    app = notify_app(moderator_addresses=["mod@example.com"])
    api: Api = site_factory(app)
    return app, api, _notice_links(app, api, smtp_server)


def test_the_link_only_shows_a_page_and_the_post_hides_once_audited(setup) -> None:
    app, api, links = setup
    page = api.client.get(links["hide"])
    assert page.status_code == 200
    assert '<form method="post">' in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert _status(app, links["comment_id"]) == "visible"  # a GET changes nothing
    done = api.client.post(links["hide"])
    assert done.status_code == 200
    assert "hidden" in done.get_data(as_text=True)
    assert _status(app, links["comment_id"]) == "hidden"
    with app.app_context():
        entry = db.session.query(AuditEntry).filter_by(action="hide").one()
        assert entry.comment_id == int(links["comment_id"])
        assert entry.actor.startswith("email link (notice ")
    again = api.client.post(links["hide"])
    assert again.status_code == 410
    assert "used already" in again.get_data(as_text=True)
    assert api.client.get(links["hide"]).status_code == 410


def test_approve_link_approves_a_pending_comment(notify_app, site_factory, smtp_server) -> None:
    app = notify_app(moderator_addresses=["mod@example.com"])
    api: Api = site_factory(app)
    links = _notice_links(app, api, smtp_server, reason="pending")
    with app.app_context():
        db.session.get(Comment, int(links["comment_id"])).status = "pending"
        db.session.commit()
    assert api.client.post(links["approve"]).status_code == 200
    assert _status(app, links["comment_id"]) == "visible"


def test_an_altered_link_is_a_400_page_never_a_500(setup) -> None:
    app, api, links = setup
    token = links["hide"].rsplit("/", 1)[1]
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for method in (api.client.get, api.client.post):
        response = method(f"/notify/moderate/{altered}")
        assert response.status_code == 400
        assert "not valid" in response.get_data(as_text=True)
    # signed for another purpose (an unsubscribe token): refused as well
    other = tokens.manage_token(app.config["SECRET_KEY"], tokens.LinkClaim("a" * 64, 1))
    assert api.client.post(f"/notify/moderate/{other}").status_code == 400
    assert _status(app, links["comment_id"]) == "visible"


def test_an_expired_link_is_refused(setup, monkeypatch) -> None:
    app, api, links = setup
    claim = tokens.read_moderation_token(app.config["SECRET_KEY"],
                                         links["hide"].rsplit("/", 1)[1], 60)
    max_age = app.extensions["comments_settings"].notifications.moderation_link_max_age_seconds
    # Signed as if long ago: itsdangerous stamps tokens with TimestampSigner.get_timestamp.
    monkeypatch.setattr(TimestampSigner, "get_timestamp",
                        lambda _self: int(time.time()) - max_age - 10)
    old = tokens.moderation_token(app.config["SECRET_KEY"], claim)
    monkeypatch.undo()
    response = api.client.post(f"/notify/moderate/{old}")
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert _status(app, links["comment_id"]) == "visible"


def test_a_post_from_another_site_is_refused(setup) -> None:
    app, api, links = setup
    response = api.client.post(links["hide"], headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert _status(app, links["comment_id"]) == "visible"
    # the refused POST did not use the link up
    assert api.client.post(links["hide"]).status_code == 200


def test_an_action_that_no_longer_applies_is_a_409_page(setup) -> None:
    app, api, links = setup
    assert api.client.post(links["hide"]).status_code == 200
    with app.app_context():  # a second notice's hide link, for a comment hidden already
        claim = tokens.ModerationClaim(int(links["comment_id"]), "hide", 99, "f" * 32)
        url = tokens.moderation_url("", app.config["SECRET_KEY"], claim)
    response = api.client.post(url)
    assert response.status_code == 409
    assert api.client.post(url).status_code == 409  # not used up by the refusal
