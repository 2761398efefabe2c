"""api/subscriptions.py and the notify field of a post, over HTTP."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from comments_service.extensions import db
from comments_service.models import OutboxMessage, Subscription
from comments_service.schemas import PublicConfigOut, SubscriptionOut
from tests.api.test_comments import assert_error
from tests.conftest import Api


def _subscribe(api: Api, **payload):
    return api.client.post(f"/api/v1/sites/{api.site}/subscriptions", json=payload)


def test_subscribe_answers_202_alike_for_new_and_known_addresses(app, api: Api) -> None:
    first = _subscribe(api, article="a1", email="carol@example.com")
    again = _subscribe(api, article="a1", email="carol@example.com", notify="all")
    assert first.status_code == again.status_code == 202
    assert first.get_json() == again.get_json()
    body = SubscriptionOut.model_validate(first.get_json())
    assert (body.article, body.notify) == ("a1", "all")
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Subscription)).scalar() == 1
        [row] = db.session.execute(select(OutboxMessage)).scalars()
        assert row.kind == "confirm"


def test_subscribing_to_an_article_without_comments_creates_its_thread(api: Api) -> None:
    assert _subscribe(api, article="quiet", email="carol@example.com").status_code == 202
    thread = api.thread("quiet").get_json()["thread"]
    assert (thread["article"], thread["total_count"]) == ("quiet", 0)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"article": "a1", "email": "not-an-address"}, "email"),
        ({"article": "a1", "email": "a@example.com\r\nBcc: b@example.com"}, "email"),
        ({"article": "a1"}, "email"),
        ({"email": "carol@example.com"}, "article"),
        ({"article": " ", "email": "carol@example.com"}, "article"),
        ({"article": "a1", "email": "carol@example.com", "notify": "replies"}, "notify"),
        ({"article": "a1", "email": "carol@example.com", "extra": 1}, "extra"),
    ],
)
def test_bad_subscription_is_a_422_naming_the_field(api: Api, payload: dict, field: str) -> None:
    body = assert_error(_subscribe(api, **payload), 422, "validation_failed")
    assert field in body["error"]["fields"]


def test_subscription_needs_a_json_body(api: Api) -> None:
    response = api.client.post(f"/api/v1/sites/{api.site}/subscriptions",
                               data={"article": "a1", "email": "carol@example.com"})
    assert_error(response, 415, "unsupported_media_type")


def test_subscribe_when_notifications_are_off_is_409(make_app, site_factory) -> None:
    api = site_factory(make_app(notifications={"enabled": False}))
    response = _subscribe(api, article="a1", email="carol@example.com")
    assert_error(response, 409, "notifications_disabled")


def test_subscribe_is_rate_limited_per_client(make_app, site_factory) -> None:
    api = site_factory(make_app(limits={"enabled": True, "subscribe_per_client": "2 per minute"}))
    statuses = [_subscribe(api, article="a1", email=f"r{i}@example.com").status_code
                for i in range(3)]
    assert statuses == [202, 202, 429]


@pytest.mark.parametrize("notify", ["replies", "all"])
def test_asking_for_notifications_without_an_email_is_a_422_naming_author_email(
    api: Api, notify: str
) -> None:
    assert_error(api.post("x", notify=notify), 422, "validation_failed", {"author_email"})


def test_unknown_notify_choice_is_a_422(api: Api) -> None:
    response = api.post("x", author_email="ann@example.com", notify="sometimes")
    assert_error(response, 422, "validation_failed", {"notify"})


def test_post_with_notify_is_accepted_and_hides_the_choice(api: Api) -> None:
    response = api.post("x", author_email="ann@example.com", notify="replies")
    assert response.status_code == 201
    assert "notify" not in response.get_json()["comment"]


@pytest.mark.parametrize("enabled", [True, False])
def test_site_config_tells_the_widget_whether_notifications_are_on(
    make_app, site_factory, enabled: bool
) -> None:
    api = site_factory(make_app(notifications={"enabled": enabled}))
    body = api.client.get(f"/api/v1/sites/{api.site}/config").get_json()
    assert PublicConfigOut.model_validate(body).notifications is enabled


def test_foreign_origin_cannot_subscribe(api: Api) -> None:
    response = api.client.post(f"/api/v1/sites/{api.site}/subscriptions",
                               json={"article": "a1", "email": "carol@example.com"},
                               headers={"Origin": "https://evil.example"})
    assert_error(response, 403, "origin_not_allowed")
