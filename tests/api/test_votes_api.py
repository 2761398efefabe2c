"""api/votes.py: vote, switch, undo and "my votes" over HTTP; errors, limits, CORS, ETags."""

from __future__ import annotations

from typing import Any

from comments_service.schemas import MyVotesOut, PublicConfigOut, ThreadPageOut, VoteOut
from tests.api.test_comments import assert_error
from tests.conftest import SITE_ORIGIN, Api, add_moderator

EVIL = "https://evil.example"
TOKEN = "0b6f7c1e-2a41-4e0e-9a0e-1f6a2d9c7b35"
OTHER_TOKEN = "5d0c9a44-8f0b-4b7e-bb5b-3c2e7d7e9f10"


def vote_url(api: Api, comment_id: int) -> str:
    return f"/api/v1/sites/{api.site}/comments/{comment_id}/vote"


def put(api: Api, comment_id: int, value: Any, token: str | None = TOKEN, **kw: Any) -> Any:
    headers = kw.pop("headers", {})
    if token is not None:
        headers["X-Reader-Token"] = token
    return api.client.put(vote_url(api, comment_id), json={"value": value}, headers=headers,
                          **kw)


def undo(api: Api, comment_id: int, token: str = TOKEN, **kw: Any) -> Any:
    headers = {**kw.pop("headers", {}), "X-Reader-Token": token}
    return api.client.delete(vote_url(api, comment_id), headers=headers, **kw)


def my_votes(api: Api, ids: list[int], token: str = TOKEN) -> Any:
    return api.client.get(f"/api/v1/sites/{api.site}/my-votes",
                          query_string=[("comment", i) for i in ids],
                          headers={"X-Reader-Token": token})


def test_an_up_vote_answers_the_new_counts_and_a_second_one_changes_nothing(api: Api) -> None:
    ident = api.posted_id("worth it")
    first = put(api, ident, 1)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "no-store"
    assert VoteOut.model_validate(first.get_json()).model_dump() == {
        "comment_id": ident, "upvotes": 1, "downvotes": 0, "score": 1, "my_vote": 1}
    again = put(api, ident, 1)
    assert again.get_json() == first.get_json()
    comment = api.thread().get_json()["comments"][0]
    assert (comment["upvotes"], comment["downvotes"], comment["score"]) == (1, 0, 1)


def test_delete_undoes_the_vote_and_is_harmless_when_repeated(api: Api) -> None:
    ident = api.posted_id("x")
    put(api, ident, 1)
    for _ in range(2):
        response = undo(api, ident)
        assert response.status_code == 200
        assert response.get_json() == {"comment_id": ident, "upvotes": 0, "downvotes": 0,
                                       "score": 0, "my_vote": 0}


def test_down_votes_are_403_until_the_site_takes_them_then_switch_counts(
    make_app, site_factory
) -> None:
    app = make_app(database={"site_cache_seconds": 0})
    api = site_factory(app)
    ident = api.posted_id("x")
    assert_error(put(api, ident, -1), 403, "downvotes_disabled")
    config = PublicConfigOut.model_validate(
        api.client.get(f"/api/v1/sites/{api.site}/config").get_json())
    assert (config.votes, config.downvotes) == (True, False)

    moderator = add_moderator(app, "mod@news.example", api.site)
    settings = api.client.patch(f"/api/v1/moderation/sites/{api.site}/settings",
                                json={"downvotes": True}, headers=moderator.headers)
    assert settings.get_json()["downvotes"] is True
    assert api.client.get(f"/api/v1/sites/{api.site}/config").get_json()["downvotes"] is True

    put(api, ident, 1)
    switched = put(api, ident, -1).get_json()
    assert (switched["upvotes"], switched["downvotes"], switched["score"],
            switched["my_vote"]) == (0, 1, -1, -1)


def test_bad_values_tokens_and_bodies_are_4xx_with_the_one_error_shape(api: Api) -> None:
    ident = api.posted_id("x")
    assert_error(put(api, ident, 2), 422, "validation_failed", {"value"})
    assert_error(put(api, ident, True), 422, "validation_failed", {"value"})
    assert_error(put(api, ident, 1, token=None), 422, "validation_failed", {"X-Reader-Token"})
    assert_error(put(api, ident, 1, token="short"), 422, "validation_failed",
                 {"X-Reader-Token"})
    response = api.client.put(vote_url(api, ident), data="value=1",
                              headers={"X-Reader-Token": TOKEN})
    assert_error(response, 415, "unsupported_media_type")
    response = api.client.put(vote_url(api, ident), data="{", content_type="application/json",
                              headers={"X-Reader-Token": TOKEN})
    assert_error(response, 400, "invalid_json")
    response = api.client.put(vote_url(api, ident), json={"value": 1, "weight": 9},
                              headers={"X-Reader-Token": TOKEN})
    assert_error(response, 422, "validation_failed", {"weight"})
    assert_error(put(api, 4242, 1), 404, "comment_not_found")
    assert_error(put(api, 2**31, 1), 404, "not_found")
    assert_error(api.client.put(f"/api/v1/sites/nope/comments/{ident}/vote", json={"value": 1},
                                headers={"X-Reader-Token": TOKEN}), 404, "site_not_found")


def test_votes_on_hidden_deleted_or_locked_comments_are_refused(app, api: Api) -> None:
    moderator = add_moderator(app, "mod@news.example", api.site)
    hidden = api.posted_id("hidden")
    api.client.post(f"/api/v1/moderation/comments/{hidden}/hide", json={},
                    headers=moderator.headers)
    assert_error(put(api, hidden, 1), 404, "comment_not_found")

    parent = api.posted_id("parent")
    api.posted_id("reply", parent_id=parent)
    api.client.post(f"/api/v1/moderation/comments/{parent}/delete", json={},
                    headers=moderator.headers)
    assert_error(put(api, parent, 1), 409, "comment_deleted")

    open_one = api.posted_id("soon locked", article="a2")
    thread_id = api.client.get(f"/api/v1/moderation/comments/{open_one}",
                               headers=moderator.headers).get_json()["thread"]["id"]
    api.client.post(f"/api/v1/moderation/threads/{thread_id}/lock", json={},
                    headers=moderator.headers)
    body = assert_error(put(api, open_one, 1), 409, "thread_locked")
    assert "votes" in body["error"]["message"]


def test_a_second_reader_token_from_the_same_address_is_409(api: Api) -> None:
    ident = api.posted_id("x")
    assert put(api, ident, 1).status_code == 200
    assert_error(put(api, ident, 1, token=OTHER_TOKEN), 409, "address_vote_limit")
    other_address = put(api, ident, 1, token=OTHER_TOKEN,
                        environ_base={"REMOTE_ADDR": "192.0.2.77"})
    assert other_address.get_json()["upvotes"] == 2


def test_my_votes_lists_the_readers_own_votes_and_is_never_cached(api: Api) -> None:
    first, second, third = (api.posted_id(f"c{i}") for i in range(3))
    put(api, first, 1)
    put(api, third, 1, token=OTHER_TOKEN, environ_base={"REMOTE_ADDR": "192.0.2.77"})
    response = my_votes(api, [first, second, third])
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert MyVotesOut.model_validate(response.get_json()).votes == {str(first): 1}
    assert my_votes(api, [first], token=OTHER_TOKEN).get_json() == {"votes": {}}


def test_my_votes_refuses_too_many_ids_no_ids_and_a_missing_token(make_app, site_factory):
    api = site_factory(make_app(votes={"max_lookup_ids": 3}))
    assert_error(my_votes(api, [1, 2, 3, 4]), 400, "bad_request", {"comment"})
    assert_error(my_votes(api, []), 400, "bad_request", {"comment"})
    assert_error(my_votes(api, [0]), 400, "bad_request")
    response = api.client.get(f"/api/v1/sites/{api.site}/my-votes?comment=1")
    assert_error(response, 422, "validation_failed", {"X-Reader-Token"})
    assert my_votes(api, [1, 2, 3]).get_json() == {"votes": {}}


def test_a_vote_changes_the_thread_etag_so_a_revalidation_sees_new_counts(api: Api) -> None:
    ident = api.posted_id("x")
    page = api.thread(sort="top")
    etag = page.headers["ETag"]
    assert api.client.get(f"/api/v1/sites/{api.site}/thread",
                          query_string={"article": "a1", "sort": "top"},
                          headers={"If-None-Match": etag}).status_code == 304
    put(api, ident, 1)
    fresh = api.client.get(f"/api/v1/sites/{api.site}/thread",
                           query_string={"article": "a1", "sort": "top"},
                           headers={"If-None-Match": etag})
    assert fresh.status_code == 200
    assert ThreadPageOut.model_validate(fresh.get_json()).comments[0].upvotes == 1


def test_top_sort_follows_votes_and_its_cursor_pages_without_gaps(make_app, site_factory):
    api = site_factory(make_app())
    ids = [api.posted_id(f"c{i}") for i in range(5)]
    # c1: 2 up; c3: 1 up; the rest none (newest first among them).
    for n, (ident, address) in enumerate([(ids[1], "192.0.2.1"), (ids[1], "192.0.2.2"),
                                          (ids[3], "192.0.2.3")]):
        token = f"reader-token-{n:010d}"
        assert put(api, ident, 1, token=token,
                   environ_base={"REMOTE_ADDR": address}).status_code == 200
    seen: list[int] = []
    cursor = None
    while True:
        params = {"sort": "top", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.thread(**params).get_json()
        seen += [c["id"] for c in page["comments"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [ids[1], ids[3], ids[4], ids[2], ids[0]]


def test_votes_from_another_origin_are_refused_and_the_site_may_put(api: Api) -> None:
    ident = api.posted_id("x")
    assert_error(put(api, ident, 1, headers={"Origin": EVIL}), 403, "origin_not_allowed")
    assert_error(undo(api, ident, headers={"Origin": EVIL}), 403, "origin_not_allowed")
    preflight = api.client.options(
        vote_url(api, ident),
        headers={"Origin": SITE_ORIGIN, "Access-Control-Request-Method": "PUT",
                 "Access-Control-Request-Headers": "content-type, x-reader-token"},
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN
    assert "PUT" in preflight.headers["Access-Control-Allow-Methods"]
    assert "X-Reader-Token" in preflight.headers["Access-Control-Allow-Headers"]
    evil = api.client.options(
        vote_url(api, ident),
        headers={"Origin": EVIL, "Access-Control-Request-Method": "PUT"},
    )
    assert "Access-Control-Allow-Origin" not in evil.headers
    allowed = put(api, ident, 1, headers={"Origin": SITE_ORIGIN})
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN


def test_votes_are_rate_limited_per_client_with_retry_after(make_app, site_factory) -> None:
    api = site_factory(make_app(limits={"enabled": True, "vote_per_client": "3 per minute"}))
    ident = api.posted_id("x")
    statuses = [put(api, ident, 1).status_code, undo(api, ident).status_code,
                put(api, ident, 1).status_code]
    assert statuses == [200, 200, 200]
    limited = undo(api, ident)
    assert_error(limited, 429, "rate_limited")
    assert int(limited.headers["Retry-After"]) > 0


def test_votes_off_hides_them_from_config_and_refuses_votes(make_app, site_factory) -> None:
    api = site_factory(make_app(votes={"enabled": False}))
    ident = api.posted_id("x")
    config = api.client.get(f"/api/v1/sites/{api.site}/config").get_json()
    assert (config["votes"], config["downvotes"]) == (False, False)
    assert_error(put(api, ident, 1), 404, "votes_disabled")
