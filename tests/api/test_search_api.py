"""Moderators' search over all comments: the moderation API and the admin Search page."""

from __future__ import annotations

from flask import Flask

from comments_service.schemas.moderation import QueueOut
from tests.admin.test_admin import sign_in
from tests.api.test_comments import assert_error
from tests.conftest import Api, add_moderator, create_other_site

BASE = "/api/v1/moderation"


def test_api_finds_a_visible_comment_by_words_and_author(api: Api, moderator) -> None:
    found = api.posted_id("The river rose overnight", author_name="Ann")
    api.posted_id("Nothing to see", author_name="Bob")
    response = api.client.get(f"{BASE}/search", headers=moderator.headers,
                              query_string={"text": "RIVER", "author": "an"})
    assert response.status_code == 200
    body = QueueOut.model_validate(response.get_json())
    assert [item.id for item in body.items] == [found]
    assert body.items[0].status == "visible"


def test_api_pages_by_cursor_and_filters_by_status_and_date(api: Api, moderator) -> None:
    ids = [api.posted_id(f"comment number {n}", article=f"a{n}") for n in range(3)]
    first = api.client.get(f"{BASE}/search", headers=moderator.headers,
                           query_string={"limit": 2}).get_json()
    assert [i["id"] for i in first["items"]] == [ids[2], ids[1]]
    rest = api.client.get(f"{BASE}/search", headers=moderator.headers,
                          query_string={"limit": 2, "cursor": first["next_cursor"]}).get_json()
    assert [i["id"] for i in rest["items"]] == [ids[0]]
    assert rest["next_cursor"] is None
    hidden = api.client.get(f"{BASE}/search", headers=moderator.headers,
                            query_string={"status": "hidden"}).get_json()
    assert hidden["items"] == []
    future = api.client.get(f"{BASE}/search", headers=moderator.headers,
                            query_string={"since": "2999-01-01T00:00:00Z"}).get_json()
    assert future["items"] == []
    assert api.client.get(f"{BASE}/search", headers=moderator.headers,
                          query_string={"article": "a1"}).get_json()["items"][0]["id"] == ids[1]


def test_api_refuses_a_bad_filter_and_another_moderators_site(app: Flask, api: Api,
                                                              moderator) -> None:
    assert_error(api.client.get(f"{BASE}/search", headers=moderator.headers,
                                query_string={"status": "lost"}), 400, "bad_request")
    assert_error(api.client.get(f"{BASE}/search", headers=moderator.headers,
                                query_string={"since": "2026-01-01"}), 400, "bad_request")
    # a number is no date, though pydantic alone would read it as a Unix time
    assert_error(api.client.get(f"{BASE}/search", headers=moderator.headers,
                                query_string={"until": "0.5"}), 400, "bad_request")
    assert_error(api.client.get(f"{BASE}/search", headers=moderator.headers,
                                query_string={"cursor": "nope"}), 400, "invalid_cursor")
    create_other_site(app)
    other = add_moderator(app, "sports@example.org", "sports")
    api.posted_id("river on news")
    assert api.client.get(f"{BASE}/search", headers=other.headers,
                          query_string={"text": "river"}).get_json()["items"] == []
    assert_error(api.client.get(f"{BASE}/search", headers=other.headers,
                                query_string={"site": "news"}), 403, "not_your_site")


def test_admin_search_page_lists_matches_with_their_actions(app: Flask, api: Api,
                                                            moderator) -> None:
    found = api.posted_id("The river rose overnight", author_name="Ann")
    api.posted_id("Nothing to see", author_name="Bob")
    app.config["WTF_CSRF_ENABLED"] = False
    sign_in(api.client, moderator)
    page = api.client.get("/admin/search", query_string={
        "text": "river", "since": "2000-01-01", "until": "2999-12-31", "status": "visible"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'id="comment-{found}"' in html
    assert "Nothing to see" not in html
    assert 'href="/admin/search"' in api.client.get("/admin/queue").get_data(as_text=True)
    empty = api.client.get("/admin/search", query_string={"until": "2000-01-01"})
    assert "No comment found" in empty.get_data(as_text=True)
    assert api.client.get("/admin/search", query_string={"since": "May"}).status_code == 400


def test_search_and_queue_cards_post_their_actions_back_to_the_page_they_are_on(
    app: Flask, api: Api, moderator
) -> None:
    """The cards' action form (admin/_macros.html comment_cards) carries the CSRF token
    and the page's own address, so an action from search results returns to them."""
    api.posted_id("The river rose overnight", author_name="Ann")
    sign_in(api.client, moderator, with_csrf=True)
    for path, query in (("/admin/search", "text=river"), ("/admin/queue", "state=all&sort=newest")):
        html = api.client.get(f"{path}?{query}").get_data(as_text=True)
        if path == "/admin/search":
            assert 'class="items"' in html
            assert f'name="next" value="{path}?{query}"' in html
        assert 'name="csrf_token" value="' in html
