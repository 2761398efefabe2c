"""admin/: sign-in, CSRF, the queue and its actions, other pages, cookies and headers."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from comments_service.extensions import db
from comments_service.models import Ban, Comment, Thread
from tests.conftest import Api, ModeratorLogin, add_moderator, create_other_site

TOKEN_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, url: str) -> str:
    match = TOKEN_FIELD.search(client.get(url).get_data(as_text=True))
    assert match, url
    return match.group(1)


def sign_in(client: FlaskClient, who: ModeratorLogin, *, with_csrf: bool = False):
    data = {"email": who.email, "password": who.password}
    if with_csrf:
        data["csrf_token"] = csrf_token(client, "/admin/login")
    return client.post("/admin/login", data=data)


@pytest.fixture
def no_csrf(app: Flask) -> Flask:
    """CSRF checks off for tests about something else (one test below turns them on)."""
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.fixture
def signed_in(no_csrf, api: Api, moderator: ModeratorLogin) -> Api:
    assert sign_in(api.client, moderator).status_code == 302
    return api


def status_of(app: Flask, comment_id: int) -> str | None:
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        return comment.status if comment else None


# ---- signing in ---------------------------------------------------------------------


def test_every_admin_page_sends_a_reader_to_the_login_page(no_csrf, api: Api) -> None:
    for url in ["/admin/", "/admin/queue", "/admin/bans", "/admin/audit", "/admin/sites",
                "/admin/comments/1"]:
        response = api.client.get(url)
        assert response.status_code == 302, url
        location = response.headers["Location"]
        assert location.startswith("/admin/login") or location == "/admin/queue", url
    response = api.client.post("/admin/queue", data={"one": "hide:1"})
    assert response.headers["Location"].startswith("/admin/login")


def test_sign_in_opens_the_queue_and_sign_out_closes_it(no_csrf, api: Api, moderator) -> None:
    response = sign_in(api.client, moderator)
    assert response.headers["Location"] == "/admin/queue"
    page = api.client.get("/admin/queue")
    assert page.status_code == 200
    assert "mod@news.example" in page.get_data(as_text=True)
    api.client.post("/admin/logout")
    assert api.client.get("/admin/queue").status_code == 302


def test_a_wrong_password_is_refused_with_a_message(no_csrf, api: Api, moderator) -> None:
    response = api.client.post("/admin/login", data={"email": moderator.email,
                                                     "password": "not it at all"})
    assert response.status_code == 200
    assert "do not match" in response.get_data(as_text=True)
    assert api.client.get("/admin/queue").status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/api/v1/x",
                                    "/admin/\\evil"])
def test_login_never_redirects_off_the_admin_pages(no_csrf, api: Api, moderator, target):
    response = api.client.post("/admin/login", query_string={"next": target},
                               data={"email": moderator.email, "password": moderator.password})
    assert response.headers["Location"] == "/admin/queue"


def test_login_attempts_are_rate_limited(make_app, site_factory) -> None:
    app = make_app(limits={"enabled": True, "login_per_client": "2 per minute"})
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    statuses = [client.post("/admin/login", data={"email": "a@b.example",
                                                  "password": "x"}).status_code
                for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_the_session_cookie_is_httponly_samesite_lax(no_csrf, api: Api, moderator) -> None:
    response = sign_in(api.client, moderator)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("comments_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development: plain http on a laptop


def test_the_session_cookie_is_secure_outside_development(make_app, site_factory) -> None:
    app = make_app(server={"environment": "production",
                           "public_url": "https://comments.news.example"})
    app.config["WTF_CSRF_ENABLED"] = False
    site_factory(app)
    who = add_moderator(app, "mod@news.example", "news")
    response = sign_in(app.test_client(), who)
    assert "Secure" in response.headers["Set-Cookie"]


def test_admin_pages_forbid_framing_and_caching(signed_in: Api) -> None:
    response = signed_in.client.get("/admin/queue")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


# ---- CSRF -------------------------------------------------------------------------------


def test_admin_forms_reject_requests_without_a_csrf_token(app, api: Api, moderator) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    ident = api.posted_id("still here")
    # Signing in without the login form's token fails; with it, it works.
    refused = sign_in(api.client, moderator)
    assert refused.status_code == 400
    assert "expired" in refused.get_data(as_text=True)
    assert sign_in(api.client, moderator, with_csrf=True).status_code == 302

    for url, data in [
        ("/admin/queue", {"one": f"hide:{ident}"}),
        ("/admin/queue", {"action": "delete", "ids": str(ident)}),
        (f"/admin/comments/{ident}/purge", {"confirm": "yes"}),
        (f"/admin/comments/{ident}/ban", {"by_address": "y"}),
        ("/admin/sites/news", {"site-news-flag_threshold": "1"}),
        ("/admin/logout", {}),
    ]:
        response = api.client.post(url, data=data)
        assert response.status_code == 400, url
        response = api.client.post(url, data={**data, "csrf_token": "forged"})
        assert response.status_code == 400, url
    assert status_of(app, ident) == "visible"
    with app.app_context():
        assert db.session.query(Ban).count() == 0

    token = csrf_token(api.client, "/admin/queue")
    response = api.client.post("/admin/queue", data={"one": f"hide:{ident}", "csrf_token": token})
    assert response.status_code == 302
    assert status_of(app, ident) == "hidden"


# ---- the queue ----------------------------------------------------------------------------


def flag(api: Api, ident: int, n: int, reason: str = "abuse", text: str | None = None) -> None:
    response = api.client.post(f"/api/v1/sites/{api.site}/comments/{ident}/flags",
                               json={"reason": reason, "text": text},
                               environ_base={"REMOTE_ADDR": f"10.9.{n}.1"})
    assert response.status_code == 201


def test_the_queue_shows_flagged_comments_with_their_context(signed_in: Api) -> None:
    api = signed_in
    top = api.posted_id("A calm opening remark", title="Budget vote")
    reply = api.posted_id("You are all idiots", parent_id=top, author_name="Grump")
    flag(api, reply, 1, "abuse")
    flag(api, reply, 2, "other", "name-calling")
    html = api.client.get("/admin/queue").get_data(as_text=True)
    for expected in ["Budget vote", "A calm opening remark", "You are all idiots", "Grump",
                     "Abuse", "name-calling", "2 flags"]:
        assert expected in html


def test_hide_then_restore_from_the_queue_moves_the_counts(app, signed_in: Api) -> None:
    api = signed_in
    ident = api.posted_id("borderline")
    flag(api, ident, 1)
    response = api.client.post("/admin/queue", data={"one": f"hide:{ident}",
                                                     "next": "/admin/queue?state=all"})
    assert response.headers["Location"] == "/admin/queue?state=all"
    assert status_of(app, ident) == "hidden"
    assert api.thread().get_json()["thread"]["visible_count"] == 0
    assert "hidden" in api.client.get("/admin/queue").get_data(as_text=True)
    api.client.post("/admin/queue", data={"one": f"restore:{ident}"})
    assert status_of(app, ident) == "visible"
    assert api.thread().get_json()["thread"]["visible_count"] == 1


def test_bulk_action_applies_to_the_selected_comments_only(app, signed_in: Api) -> None:
    api = signed_in
    ids = [api.posted_id(f"c{i}") for i in range(3)]
    for ident in ids:
        flag(api, ident, 1)
    response = api.client.post("/admin/queue", data={"action": "delete",
                                                     "ids": [str(ids[0]), str(ids[2])]})
    assert response.status_code == 302
    assert [status_of(app, i) for i in ids] == ["deleted", "visible", "deleted"]
    assert "2 comments deleted." in api.client.get("/admin/queue").get_data(as_text=True)


def test_an_action_that_does_not_apply_is_explained_not_a_500(app, signed_in: Api) -> None:
    api = signed_in
    ident = api.posted_id("fine")
    api.client.post("/admin/queue", data={"one": f"restore:{ident}"})
    assert "cannot be restored" in api.client.get("/admin/queue").get_data(as_text=True)
    response = api.client.post("/admin/queue", data={"one": "explode:1"})
    assert response.status_code == 302
    assert "Unknown action" in api.client.get("/admin/queue").get_data(as_text=True)


def test_pending_comments_wait_until_approved_from_the_queue(app, signed_in: Api) -> None:
    api = signed_in
    api.client.post("/admin/sites/news", data={"site-news-premoderation": "y",
                                                "site-news-flag_threshold": "3"})
    ident = api.post("hold me").get_json()["id"]
    assert api.thread().get_json()["comments"] == []
    assert "hold me" in api.client.get("/admin/queue?state=pending").get_data(as_text=True)
    api.client.post("/admin/queue", data={"one": f"approve:{ident}"})
    assert [c["id"] for c in api.thread().get_json()["comments"]] == [ident]


def test_the_sites_page_switches_down_votes_for_the_site(app, signed_in: Api) -> None:
    api = signed_in
    ident = api.posted_id("vote on me")
    vote = {"json": {"value": -1}, "headers": {"X-Reader-Token": "admin-test-reader-token"}}
    url = f"/api/v1/sites/news/comments/{ident}/vote"
    assert api.client.put(url, **vote).status_code == 403
    page = api.client.get("/admin/sites").get_data(as_text=True)
    assert "Take down votes on comments" in page
    api.client.post("/admin/sites/news", data={"site-news-flag_threshold": "3",
                                                "site-news-downvotes": "y"})
    assert api.client.put(url, **vote).get_json()["downvotes"] == 1
    assert "downvotes on" in api.client.get("/admin/audit").get_data(as_text=True)
    # Saving the form again without touching the box records no change of it.
    api.client.post("/admin/sites/news", data={"site-news-flag_threshold": "4",
                                                "site-news-downvotes": "y"})
    assert api.client.get("/admin/audit").get_data(as_text=True).count("downvotes") == 1


# ---- one comment, bans, threads, audit, sites --------------------------------------------


def test_ban_from_the_comment_page_stops_the_author_posting(app, signed_in: Api) -> None:
    api = signed_in
    ident = api.posted_id("troll", author_email="troll@example.org")
    page = api.client.get(f"/admin/comments/{ident}").get_data(as_text=True)
    assert "Ban the author" in page
    api.client.post(f"/admin/comments/{ident}/ban", data={"by_email": "y", "duration": "86400"})
    assert api.post("again", author_email="troll@example.org").status_code == 403
    bans_page = api.client.get("/admin/bans").get_data(as_text=True)
    assert "active" in bans_page
    with app.app_context():
        ban_id = db.session.query(Ban.id).scalar()
    api.client.post(f"/admin/bans/{ban_id}/lift")
    assert api.post("again", author_email="troll@example.org").status_code == 201


def test_purge_needs_the_confirmation_box_and_then_removes_the_comment(
    app, signed_in: Api
) -> None:
    api = signed_in
    ident = api.posted_id("my phone number is 555", author_email="me@example.org")
    api.client.post(f"/admin/comments/{ident}/purge", data={})
    assert status_of(app, ident) == "visible"
    response = api.client.post(f"/admin/comments/{ident}/purge", data={"confirm": "yes"})
    assert response.headers["Location"] == "/admin/queue"
    assert status_of(app, ident) is None
    with app.app_context():
        assert db.session.query(Comment).filter(Comment.body_markdown.contains("555")).count() == 0


def test_lock_from_the_comment_page_refuses_new_comments(app, signed_in: Api) -> None:
    api = signed_in
    ident = api.posted_id("first")
    with app.app_context():
        thread_id = db.session.query(Thread.id).scalar()
    api.client.post(f"/admin/threads/{thread_id}", data={
        "action": "lock", "next": f"/admin/comments/{ident}"})
    response = api.post("second")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "thread_locked"


def test_the_audit_page_lists_each_action_with_who_did_it(signed_in: Api) -> None:
    api = signed_in
    ident = api.posted_id("x")
    for action in ("hide", "restore", "pin"):
        api.client.post("/admin/queue", data={"one": f"{action}:{ident}", "note": "n"})
    html = api.client.get("/admin/audit").get_data(as_text=True)
    for action in ("hide", "restore", "pin"):
        assert f'<span class="action-name">{action}</span>' in html
    assert html.count("mod@news.example") >= 3
    history = api.client.get(f"/admin/comments/{ident}").get_data(as_text=True)
    assert "hidden → visible" in history


def test_a_moderator_of_another_site_sees_a_403_page(app, no_csrf, api: Api) -> None:
    create_other_site(app, "sports")
    outsider = add_moderator(app, "coach@sports.example", "sports")
    ident = api.posted_id("news only")
    sign_in(api.client, outsider)
    response = api.client.get(f"/admin/comments/{ident}")
    assert response.status_code == 403
    assert "You do not moderate that site." in response.get_data(as_text=True)
    api.client.post("/admin/queue", data={"one": f"hide:{ident}"})
    assert status_of(app, ident) == "visible"
    assert api.client.get("/admin/queue?site=news").status_code == 403


def test_the_nav_has_the_queue_count_and_room_for_more_pages(signed_in: Api) -> None:
    from comments_service.admin import NAV_ITEMS

    api = signed_in
    ident = api.posted_id("x")
    flag(api, ident, 1)
    html = api.client.get("/admin/audit").get_data(as_text=True)
    assert '<span class="count">1</span>' in html
    assert [label for _, label in NAV_ITEMS] == ["Queue", "Search", "Bans", "Audit log", "Sites"]


def test_public_responses_do_not_vary_on_the_admin_cookie(signed_in: Api) -> None:
    """The admin session must not spoil caching of the public API (Vary: Cookie)."""
    api = signed_in
    api.posted_id("x")
    anonymous = api.client.application.test_client()
    response = anonymous.get(f"/api/v1/sites/{api.site}/counts", query_string={"article": "a1"})
    assert response.status_code == 200
    assert "Cookie" not in response.headers.get("Vary", "")
    assert "Set-Cookie" not in response.headers
    # The signed-in client still gets its own, session-dependent pages.
    assert signed_in.client.get("/admin/queue").status_code == 200
