"""api/flags.py and the public side of moderation: flags, pending posts, bans, locks, pins."""

from __future__ import annotations

from comments_service.schemas import FlaggedOut, PublicConfigOut
from tests.api.test_comments import assert_error
from tests.conftest import SITE_ORIGIN, Api

EVIL = "https://evil.example"


def flag_url(api: Api, comment_id: int) -> str:
    return f"/api/v1/sites/{api.site}/comments/{comment_id}/flags"


def test_a_flag_is_201_and_a_second_from_the_same_reader_is_409(api: Api) -> None:
    ident = api.posted_id("spammy")
    first = api.client.post(flag_url(api, ident), json={"reason": "spam"})
    assert first.status_code == 201
    assert FlaggedOut.model_validate(first.get_json()).model_dump() == {
        "flagged": True, "comment_id": ident,
    }
    assert first.headers["Cache-Control"] == "no-store"
    again = api.client.post(flag_url(api, ident), json={"reason": "abuse"})
    assert_error(again, 409, "already_flagged")


def test_a_reader_token_tells_readers_on_one_network_apart(api: Api) -> None:
    ident = api.posted_id("hmm")
    for token in ("reader-one", "reader-two"):
        response = api.client.post(flag_url(api, ident), json={"reason": "off_topic"},
                                   headers={"X-Reader-Token": token})
        assert response.status_code == 201
    response = api.client.post(flag_url(api, ident), json={"reason": "off_topic"},
                               headers={"X-Reader-Token": "reader-one"})
    assert_error(response, 409, "already_flagged")


def test_other_without_text_is_422_naming_text(api: Api) -> None:
    ident = api.posted_id("x")
    response = api.client.post(flag_url(api, ident), json={"reason": "other"})
    assert_error(response, 422, "validation_failed", {"text"})
    response = api.client.post(flag_url(api, ident), json={"reason": "rude"})
    assert_error(response, 422, "validation_failed", {"reason"})


def test_flagging_an_unknown_comment_is_404(api: Api) -> None:
    assert_error(api.client.post(flag_url(api, 4242), json={"reason": "spam"}), 404,
                 "comment_not_found")


def test_a_flag_from_another_origin_is_refused_and_the_sites_origin_may_send_the_token(
    api: Api,
) -> None:
    ident = api.posted_id("x")
    response = api.client.post(flag_url(api, ident), json={"reason": "spam"},
                               headers={"Origin": EVIL})
    assert_error(response, 403, "origin_not_allowed")
    preflight = api.client.options(
        flag_url(api, ident),
        headers={"Origin": SITE_ORIGIN, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type, x-reader-token"},
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN
    assert "X-Reader-Token" in preflight.headers["Access-Control-Allow-Headers"]
    allowed = api.client.post(flag_url(api, ident), json={"reason": "spam"},
                              headers={"Origin": SITE_ORIGIN})
    assert allowed.status_code == 201


def test_flags_are_rate_limited_per_client(make_app, site_factory) -> None:
    app = make_app(limits={"enabled": True, "flag_per_client": "2 per minute"})
    api = site_factory(app)
    ids = [api.posted_id(f"c{i}") for i in range(3)]
    statuses = [api.client.post(flag_url(api, i), json={"reason": "spam"}).status_code
                for i in ids]
    assert statuses == [201, 201, 429]


def test_three_readers_flagging_hide_a_comment_from_the_thread(api: Api) -> None:
    ident = api.posted_id("bad")
    api.posted_id("good")
    for n in range(3):
        api.client.post(flag_url(api, ident), json={"reason": "abuse"},
                        environ_base={"REMOTE_ADDR": f"10.0.{n}.1"})
    page = api.thread().get_json()
    assert [c["body_html"] for c in page["comments"]] == ["<p>good</p>"]
    assert page["thread"]["visible_count"] == 1


def test_site_config_tells_the_widget_to_show_the_flag_button(api: Api) -> None:
    body = api.client.get(f"/api/v1/sites/{api.site}/config").get_json()
    assert PublicConfigOut.model_validate(body).flags is True


def test_a_post_held_for_moderation_tells_its_author_and_stays_out_of_the_thread(
    app, api: Api
) -> None:
    from comments_service.extensions import db
    from comments_service.models import Site

    with app.app_context():
        site = db.session.query(Site).filter_by(slug=api.site).one()
        site.settings = {"premoderation": True}
        db.session.commit()
    response = api.post("please approve me", author_name="Ann")
    # Held comments get no edit token: what a moderator approves stays what was approved.
    assert response.status_code == 202
    held = response.get_json()
    assert (held["status"], "edit_token" in held) == ("pending", False)
    assert "moderator" in held["message"]
    page = api.thread().get_json()
    assert page["comments"] == []
    assert (page["thread"]["total_count"], page["thread"]["visible_count"]) == (1, 0)
    assert_error(api.client.get(f"/api/v1/sites/{api.site}/comments/{held['id']}"),
                 404, "comment_not_found")
