"""api/moderation.py: bearer tokens only, one's own sites only, every action audited."""

from __future__ import annotations

import re

import pytest
from flask import Flask, g

from comments_service.schemas.moderation import (
    ActionOut,
    AuditOut,
    BanOut,
    BansOut,
    BulkOut,
    MeOut,
    ModCommentOut,
    QueueOut,
    SiteModerationOut,
    ThreadActionOut,
)
from tests.api.test_comments import assert_error
from tests.conftest import Api, ModeratorLogin, add_moderator, create_other_site

BASE = "/api/v1/moderation"


def moderation_routes(app: Flask) -> list[tuple[str, str]]:
    """Every (method, url) of the moderator API, with ids filled in."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(BASE):
            continue
        url = re.sub(r"<int:\w+>", "1", rule.rule).replace("<site_slug>", "news")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method, url))
    return found


def call(api: Api, method: str, url: str, headers: dict[str, str] | None = None,
         json: object = None):
    return api.client.open(url, method=method, headers=headers or {},
                           json={} if json is None and method != "GET" else json)


def login_session(api: Api, who: ModeratorLogin) -> None:
    api.client.application.config["WTF_CSRF_ENABLED"] = False
    response = api.client.post("/admin/login", data={"email": who.email,
                                                     "password": who.password})
    assert response.status_code == 302


# ---- who may call -----------------------------------------------------------------------


def test_a_reader_without_a_token_gets_401_on_every_moderator_route(app, api: Api) -> None:
    routes = moderation_routes(app)
    assert len(routes) >= 20
    for method, url in routes:
        response = call(api, method, url)
        assert_error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_token_is_401_never_500(app, api: Api, moderator: ModeratorLogin) -> None:
    for method, url in moderation_routes(app):
        response = call(api, method, url, headers={"Authorization": "Bearer not-a-token"})
        assert_error(response, 401, "unauthorized")


def test_the_admin_session_cookie_does_not_open_the_api(api: Api, moderator) -> None:
    login_session(api, moderator)
    assert api.client.get("/admin/queue").status_code == 200
    assert_error(api.client.get(f"{BASE}/queue"), 401, "unauthorized")
    ident = api.posted_id("x")
    assert_error(call(api, "POST", f"{BASE}/comments/{ident}/hide"), 401, "unauthorized")


def test_a_moderator_of_another_site_gets_403_not_your_site(app, api: Api, moderator) -> None:
    create_other_site(app, "sports")
    outsider = add_moderator(app, "coach@sports.example", "sports")
    ident = api.posted_id("a news comment")
    thread_id = ModCommentOut.model_validate(
        api.client.get(f"{BASE}/comments/{ident}", headers=moderator.headers).get_json()
    ).thread.id
    attempts = [
        ("GET", f"{BASE}/comments/{ident}", None),
        ("GET", f"{BASE}/queue?site=news", None),
        ("GET", f"{BASE}/audit?site=news", None),
        ("GET", f"{BASE}/bans?site=news", None),
        ("GET", f"{BASE}/sites/news/settings", None),
        ("PATCH", f"{BASE}/sites/news/settings", {"premoderation": True}),
        ("POST", f"{BASE}/comments/{ident}/ban", {"by_address": True}),
        *[("POST", f"{BASE}/comments/{ident}/{action}", {})
          for action in ("approve", "hide", "restore", "delete", "purge", "pin", "unpin")],
        *[("POST", f"{BASE}/threads/{thread_id}/{action}", {})
          for action in ("lock", "unlock", "premoderate", "unpremoderate")],
    ]
    for method, url, body in attempts:
        response = call(api, method, url, headers=outsider.headers, json=body)
        assert_error(response, 403, "not_your_site")
    bulk = api.client.post(f"{BASE}/comments/actions", headers=outsider.headers,
                           json={"action": "hide", "comment_ids": [ident]})
    assert BulkOut.model_validate(bulk.get_json()).results[0].error.code == "not_your_site"
    # Their own queue and log do not show the other site's comment.
    queue = api.client.get(f"{BASE}/queue", headers=outsider.headers).get_json()
    assert queue == {"items": [], "next_cursor": None}
    assert api.thread().get_json()["comments"][0]["id"] == ident


def test_me_names_the_moderator_and_their_sites(api: Api, moderator) -> None:
    body = api.client.get(f"{BASE}/me", headers=moderator.headers).get_json()
    assert MeOut.model_validate(body).model_dump() == {"email": "mod@news.example",
                                                       "sites": ["news"]}


def test_a_moderator_token_marks_the_request_as_a_moderators(app, api: Api, moderator) -> None:
    """The contract with limits.py: g.is_moderator is set before the limiter counts."""
    public = f"/api/v1/sites/{api.site}/config"
    cases = [({}, False), ({"Authorization": "Bearer nope"}, False), (moderator.headers, True)]
    for headers, expected in cases:
        with app.test_request_context(public, headers=headers):
            app.preprocess_request()
            assert g.is_moderator is expected
    login_session(api, moderator)
    with api.client:
        api.client.get(public)
        assert g.is_moderator is True


def test_moderators_are_known_before_the_rate_limiter_counts(make_app) -> None:
    """A limits.py exemption reading g.is_moderator needs it set before Flask-Limiter's hook."""
    app = make_app(limits={"enabled": True})
    names = [getattr(hook, "__name__", "") for hook in app.before_request_funcs[None]]
    assert names.index("identify_moderator") < names.index("_check_request_limit")


# ---- the queue and each action ----------------------------------------------------------


def test_the_queue_lists_a_flagged_reply_with_its_context(api: Api, moderator) -> None:
    top = api.posted_id("the article is great", title="Big story")
    reply = api.posted_id("buy pills", parent_id=top, author_email="spam@example.org")
    api.client.post(f"/api/v1/sites/{api.site}/comments/{reply}/flags",
                    json={"reason": "other", "text": "pharma spam"})
    body = QueueOut.model_validate(
        api.client.get(f"{BASE}/queue", headers=moderator.headers).get_json()
    )
    [item] = body.items
    assert (item.id, item.flag_count, item.author.email) == (reply, 1, "spam@example.org")
    assert item.thread.title == "Big story"
    assert item.parent is not None
    assert item.parent.body_html == "<p>the article is great</p>"
    assert [(f.reason, f.text) for f in item.flags] == [("other", "pharma spam")]


def test_each_comment_action_over_the_api_is_applied_and_audited(api: Api, moderator) -> None:
    ident = api.posted_id("top")
    expected = [
        ("hide", "visible", "hidden"), ("restore", "hidden", "visible"),
        ("pin", "visible", "visible"), ("unpin", "visible", "visible"),
        ("delete", "visible", "deleted"), ("restore", "deleted", "visible"),
        ("purge", "visible", "purged"),
    ]
    for action, before, after in expected:
        response = api.client.post(f"{BASE}/comments/{ident}/{action}",
                                   headers=moderator.headers, json={"note": f"n-{action}"})
        assert response.status_code == 200, response.get_json()
        result = ActionOut.model_validate(response.get_json())
        assert (result.action, result.status_before, result.status_after) == (
            action, before, after)
    log = AuditOut.model_validate(
        api.client.get(f"{BASE}/audit", headers=moderator.headers).get_json()
    )
    assert [(e.action, e.comment_id, e.actor) for e in reversed(log.entries)] == [
        (action, ident, "mod@news.example") for action, _, _ in expected
    ]
    assert api.thread().get_json()["comments"] == []


def test_an_action_that_does_not_apply_is_409_and_an_unknown_comment_404(
    api: Api, moderator
) -> None:
    ident = api.posted_id("top")
    response = api.client.post(f"{BASE}/comments/{ident}/restore", headers=moderator.headers,
                               json={})
    assert_error(response, 409, "action_not_allowed")
    response = api.client.post(f"{BASE}/comments/424242/hide", headers=moderator.headers,
                               json={})
    assert_error(response, 404, "comment_not_found")


def test_an_action_needs_a_json_body(api: Api, moderator) -> None:
    ident = api.posted_id("top")
    response = api.client.post(f"{BASE}/comments/{ident}/hide", headers=moderator.headers)
    assert_error(response, 415, "unsupported_media_type")
    response = api.client.post(f"{BASE}/comments/{ident}/hide", headers=moderator.headers,
                               json={"note": "x", "extra": 1})
    assert_error(response, 422, "validation_failed", {"extra"})


def test_bulk_hides_the_selected_comments(api: Api, moderator) -> None:
    ids = [api.posted_id(f"c{i}") for i in range(3)]
    response = api.client.post(f"{BASE}/comments/actions", headers=moderator.headers,
                               json={"action": "hide", "comment_ids": ids[:2]})
    body = BulkOut.model_validate(response.get_json())
    assert [(r.comment_id, r.ok) for r in body.results] == [(ids[0], True), (ids[1], True)]
    assert [c["body_html"] for c in api.thread().get_json()["comments"]] == ["<p>c2</p>"]


def test_a_banned_author_gets_403_banned_until_the_ban_is_lifted(api: Api, moderator) -> None:
    ident = api.posted_id("troll", author_email="troll@example.org")
    response = api.client.post(f"{BASE}/comments/{ident}/ban", headers=moderator.headers,
                               json={"by_email": True, "note": "repeat offender"})
    assert response.status_code == 201
    ban = BanOut.model_validate(response.get_json())
    assert (ban.by_email, ban.by_address, ban.active, ban.expires_at) == (True, False, True, None)
    assert_error(api.post("I'm back", author_email="TROLL@example.org"), 403, "banned")
    listed = BansOut.model_validate(
        api.client.get(f"{BASE}/bans", headers=moderator.headers).get_json())
    assert [b.id for b in listed.bans] == [ban.id]
    lifted = api.client.post(f"{BASE}/bans/{ban.id}/lift", headers=moderator.headers, json={})
    assert BanOut.model_validate(lifted.get_json()).active is False
    assert api.post("I'm back", author_email="troll@example.org").status_code == 201


def test_a_locked_thread_refuses_new_comments_with_409_thread_locked(
    api: Api, moderator
) -> None:
    ident = api.posted_id("first")
    thread_id = api.client.get(f"{BASE}/comments/{ident}",
                               headers=moderator.headers).get_json()["thread"]["id"]
    response = api.client.post(f"{BASE}/threads/{thread_id}/lock", headers=moderator.headers,
                               json={"note": "flame war"})
    assert ThreadActionOut.model_validate(response.get_json()).is_locked is True
    refused = api.post("one more thing")
    body = assert_error(refused, 409, "thread_locked")
    assert body["error"]["message"] == "This thread is closed for new comments."
    assert api.thread().get_json()["thread"]["is_locked"] is True
    api.client.post(f"{BASE}/threads/{thread_id}/unlock", headers=moderator.headers, json={})
    assert api.post("one more thing").status_code == 201


def test_site_premoderation_holds_comments_until_approved(api: Api, moderator) -> None:
    response = api.client.patch(f"{BASE}/sites/news/settings", headers=moderator.headers,
                                json={"premoderation": True, "flag_threshold": 5})
    assert SiteModerationOut.model_validate(response.get_json()).model_dump() == {
        "site": "news", "premoderation": True, "flag_threshold": 5, "downvotes": None,
        "languages": []}
    held = api.post("wait for me").get_json()
    assert held["status"] == "pending"
    assert api.thread().get_json()["comments"] == []
    queue = api.client.get(f"{BASE}/queue?state=pending", headers=moderator.headers).get_json()
    assert [i["id"] for i in queue["items"]] == [held["id"]]
    api.client.post(f"{BASE}/comments/{held['id']}/approve", headers=moderator.headers,
                    json={})
    assert [c["id"] for c in api.thread().get_json()["comments"]] == [held["id"]]


@pytest.mark.parametrize(
    ("url", "field"),
    [(f"{BASE}/queue?state=everything", "state"), (f"{BASE}/queue?cursor=abc", "cursor"),
     (f"{BASE}/audit?cursor=x1", "cursor"), (f"{BASE}/queue?site=nope", None)],
)
def test_bad_queries_are_4xx_never_500(api: Api, moderator, url, field) -> None:
    response = api.client.get(url, headers=moderator.headers)
    if field is None:
        assert_error(response, 404, "site_not_found")
    else:
        body = response.get_json()
        assert response.status_code == 400, body
        assert field in body["error"]["fields"]


def test_moderator_responses_are_never_cached_nor_readable_cross_origin(
    api: Api, moderator
) -> None:
    response = api.client.get(f"{BASE}/queue", headers={**moderator.headers,
                                                         "Origin": "https://evil.example"})
    assert response.headers["Cache-Control"] == "no-store"
    assert "Access-Control-Allow-Origin" not in response.headers
