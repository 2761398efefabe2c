"""api/comments.py with the spam rules on: what a reader (or a bot) gets back."""

from __future__ import annotations

import logging

from sqlalchemy import select

from comments_service.extensions import db
from comments_service.models import Comment, Site
from comments_service.schemas import ErrorOut, HeldCommentOut
from tests.fake_checker import FakeChecker


def hold_spam(app) -> None:
    with app.app_context():
        row = db.session.execute(select(Site).where(Site.slug == "news")).scalar_one()
        row.settings = {"spam_action": "hold"}
        db.session.commit()


def test_honeypot_filled_is_rejected_without_naming_the_rule(api) -> None:
    response = api.post("Buy now", hp="https://spam.example")
    assert response.status_code == 422
    body = response.get_json()
    ErrorOut.model_validate(body)
    assert body["error"]["code"] == "spam_rejected"
    assert body["error"]["fields"] == {}
    assert "honeypot" not in body["error"]["message"].lower()


def test_every_rule_gives_the_same_rejection(make_app, api) -> None:
    app = make_app(spam={"blocked_words": ["casino"], "max_links": 0})
    client = app.test_client()
    url = "/api/v1/sites/news/comments"
    bodies = [
        {"article": "a1", "body": "hello", "hp": "x"},
        {"article": "a1", "body": "hello", "form_token": "forged"},
        {"article": "a1", "body": "see https://spam.example"},
        {"article": "a1", "body": "casino time"},
    ]
    errors = [client.post(url, json=body).get_json() for body in bodies]
    assert all(error == errors[0] for error in errors)


def test_spam_on_a_holding_site_is_accepted_as_pending_and_not_shown(app, api) -> None:
    hold_spam(app)
    response = api.post("Buy now", hp="https://spam.example")
    assert response.status_code == 202
    held = HeldCommentOut.model_validate(response.get_json())
    assert held.status == "pending"
    assert "edit_token" not in response.get_json()
    page = api.thread().get_json()
    assert page["comments"] == []
    assert (page["thread"]["total_count"], page["thread"]["visible_count"]) == (1, 0)
    assert api.client.get(f"/api/v1/sites/news/comments/{held.id}").status_code == 404


def test_same_comment_twice_is_a_409_duplicate(api) -> None:
    assert api.post("Same words").status_code == 201
    again = api.post("Same words")
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "duplicate_comment"


def test_the_same_short_reply_under_two_articles_is_not_a_duplicate(api) -> None:
    """The duplicate rule is per article: "Thanks!" may be said under two articles."""
    assert api.post("Thanks!", article="a1").status_code == 201
    assert api.post("Thanks!", article="a2").status_code == 201
    assert api.post("Thanks!", article="a1").status_code == 409


def test_edit_stuffed_with_links_is_rejected_and_the_comment_kept(app, api) -> None:
    created = api.post("A calm comment").get_json()
    links = " ".join(f"https://site{i}.example" for i in range(10))
    response = api.client.patch(
        f"/api/v1/sites/news/comments/{created['comment']['id']}", json={"body": links},
        headers={"X-Edit-Token": created["edit_token"]},
    )
    assert response.get_json()["error"]["code"] == "spam_rejected"
    with app.app_context():
        assert db.session.get(Comment, created["comment"]["id"]).body_markdown == "A calm comment"


def test_spam_fields_are_never_stored(app, api) -> None:
    token = "some.form.token"
    api.post("Hello", hp="", form_token=None)
    api.post("Hello again", form_token=token)  # rejected: forged
    with app.app_context():
        rows = db.session.execute(select(Comment)).scalars().all()
        stored = " ".join(str(value) for row in rows for value in vars(row).values())
    assert token not in stored


def test_post_goes_through_when_the_checker_is_slow(make_app, site, caplog) -> None:
    with FakeChecker() as checker:
        checker.hold.clear()
        app = make_app(spam={"checker_url": checker.url, "checker_timeout_s": 0.2})
        with caplog.at_level(logging.WARNING, logger="comments_service.services.spam"):
            response = app.test_client().post(
                "/api/v1/sites/news/comments", json={"article": "a1", "body": "Hi"})
    assert response.status_code == 201
    assert [r.getMessage() for r in caplog.records] == ["spam_checker_unavailable"]


def test_checker_verdict_holds_the_comment_on_a_holding_site(make_app, site) -> None:
    with FakeChecker() as checker:
        checker.answer = "true"
        app = make_app(spam={"checker_url": checker.url, "checker_key": "k3y"})
        hold_spam(app)
        response = app.test_client().post(
            "/api/v1/sites/news/comments", json={"article": "a1", "body": "Hi"},
            headers={"User-Agent": "Mozilla/5.0"}, environ_base={"REMOTE_ADDR": "203.0.113.77"},
        )
    assert response.status_code == 202
    (form,) = checker.forms
    assert (form["user_agent"], form["user_ip"]) == ("Mozilla/5.0", "203.0.113.0")
