"""api/comments.py and api/threads.py over HTTP: status codes, shapes, and error bodies."""

from __future__ import annotations

import pytest

from comments_service.schemas import (
    CountsOut,
    DeletedOut,
    ErrorOut,
    PostedCommentOut,
    PublicConfigOut,
    RepliesPageOut,
    SingleCommentOut,
    ThreadPageOut,
)
from tests.conftest import Api


def assert_error(response, status: int, code: str, fields: set[str] | None = None) -> dict:
    """The response is an error of the project's one shape, with this status and code."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    ErrorOut.model_validate(body)
    assert body["error"]["code"] == code
    if fields is not None:
        assert set(body["error"]["fields"]) == fields
    return body


# ---- the happy path a newcomer follows -------------------------------------------------


def test_post_reply_and_read_back_nested(api: Api) -> None:
    first = api.post("Hello **world**", author_name="Ann", title="Big news",
                     url="https://news.example/big")
    assert first.status_code == 201
    posted = PostedCommentOut.model_validate(first.get_json())
    assert posted.comment.body_html == "<p>Hello <strong>world</strong></p>"
    assert first.headers["Location"].endswith(f"/comments/{posted.comment.id}")
    reply = api.post("Agreed", parent_id=posted.comment.id, author_name="Bob")
    assert reply.status_code == 201

    page = api.thread()
    assert page.status_code == 200
    body = ThreadPageOut.model_validate(page.get_json())
    assert body.thread is not None
    assert (body.thread.title, body.thread.total_count, body.thread.visible_count) == (
        "Big news", 2, 2,
    )
    [top] = body.comments
    assert top.author is not None
    assert top.author.name == "Ann"
    assert [r.body_html for r in top.replies] == ["<p>Agreed</p>"]


def test_public_responses_never_carry_email_ip_or_token_hash(api: Api) -> None:
    api.post("hi", author_email="secret@example.com", author_name="Ann")
    text = api.thread().get_data(as_text=True)
    for leaked in ("secret@example.com", "client_hash", "edit_token", "author_email", "path"):
        assert leaked not in text


def test_thread_of_unknown_article_is_an_empty_page(api: Api) -> None:
    body = api.thread("nothing-yet").get_json()
    assert body == {"thread": None, "sort": "oldest", "comments": [], "next_cursor": None}


def test_read_one_comment_and_more_replies(api: Api) -> None:
    top = api.posted_id("top")
    for i in range(4):
        api.posted_id(f"r{i}", parent_id=top)
    page = api.thread(replies=2).get_json()
    cursor = page["comments"][0]["replies_cursor"]
    assert page["comments"][0]["replies_total"] == 4
    more = api.client.get(f"/api/v1/sites/{api.site}/comments/{top}/replies",
                          query_string={"cursor": cursor})
    body = RepliesPageOut.model_validate(more.get_json())
    assert [c.body_html for c in body.comments] == ["<p>r2</p>", "<p>r3</p>"]
    one = api.client.get(f"/api/v1/sites/{api.site}/comments/{top}")
    assert SingleCommentOut.model_validate(one.get_json()).comment.id == top


def test_counts_for_many_articles(api: Api) -> None:
    api.posted_id("x", article="one")
    api.posted_id("y", article="one")
    response = api.client.get(f"/api/v1/sites/{api.site}/counts",
                              query_string=[("article", "one"), ("article", "two")])
    assert CountsOut.model_validate(response.get_json()).counts == {"one": 2, "two": 0}


def test_too_many_articles_in_one_counts_request_is_a_400(api: Api) -> None:
    keys = [("article", f"k{i}") for i in range(101)]
    response = api.client.get(f"/api/v1/sites/{api.site}/counts", query_string=keys)
    assert_error(response, 400, "bad_request", {"article"})


def test_site_config_is_public_and_complete(api: Api) -> None:
    body = api.client.get(f"/api/v1/sites/{api.site}/config").get_json()
    config = PublicConfigOut.model_validate(body)
    assert (config.site, config.max_depth) == ("news", 4)


# ---- ETag -------------------------------------------------------------------------------


def test_unchanged_thread_revalidates_with_304_and_changes_after_a_post(api: Api) -> None:
    api.posted_id("one")
    first = api.thread()
    etag = first.headers["ETag"]
    again = api.client.get(f"/api/v1/sites/{api.site}/thread", query_string={"article": "a1"},
                           headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    api.posted_id("two")
    after = api.client.get(f"/api/v1/sites/{api.site}/thread", query_string={"article": "a1"},
                           headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.headers["ETag"] != etag


# ---- edit and delete ------------------------------------------------------------------


def test_author_edits_and_deletes_with_the_token(api: Api) -> None:
    posted = api.post("typo").get_json()
    url = f"/api/v1/sites/{api.site}/comments/{posted['comment']['id']}"
    token = {"X-Edit-Token": posted["edit_token"]}
    edited = api.client.patch(url, json={"body": "fixed"}, headers=token)
    assert edited.status_code == 200
    body = SingleCommentOut.model_validate(edited.get_json())
    assert body.comment.body_html == "<p>fixed</p>"
    assert body.comment.edited_at is not None
    deleted = api.client.delete(url, headers=token)
    assert DeletedOut.model_validate(deleted.get_json()).placeholder is False
    assert_error(api.client.get(url), 404, "comment_not_found")


def test_deleted_with_replies_reads_as_placeholder(api: Api) -> None:
    posted = api.post("original", author_name="Ann").get_json()
    top = posted["comment"]["id"]
    api.posted_id("reply", parent_id=top)
    response = api.client.delete(f"/api/v1/sites/{api.site}/comments/{top}",
                                 headers={"X-Edit-Token": posted["edit_token"]})
    assert response.get_json() == {"id": top, "deleted": True, "placeholder": True}
    [placeholder] = api.thread().get_json()["comments"]
    assert placeholder["status"] == "deleted"
    assert (placeholder["author"], placeholder["body_html"]) == (None, "")
    assert [r["body_html"] for r in placeholder["replies"]] == ["<p>reply</p>"]


def test_edit_with_wrong_token_is_403(api: Api) -> None:
    ident = api.posted_id("mine")
    response = api.client.patch(f"/api/v1/sites/{api.site}/comments/{ident}",
                                json={"body": "theirs"}, headers={"X-Edit-Token": "guess"})
    assert_error(response, 403, "invalid_edit_token")


def test_edit_after_window_is_409(make_app, site_factory) -> None:
    app = make_app(comments={"edit_window_seconds": 0})
    api = site_factory(app)
    posted = api.post("late").get_json()
    response = api.client.patch(
        f"/api/v1/sites/{api.site}/comments/{posted['comment']['id']}",
        json={"body": "x"}, headers={"X-Edit-Token": posted["edit_token"]},
    )
    assert_error(response, 409, "edit_window_closed")


# ---- every validation error has its status and its field ------------------------------


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"article": "a1", "body": ""}, "body"),
        ({"article": "a1", "body": "x" * 10_001}, "body"),
        ({"article": "a1", "body": "x", "author_name": "n" * 65}, "author_name"),
        ({"article": "a1", "body": "x", "author_email": "nope"}, "author_email"),
        ({"article": "a1", "body": "x", "author_website": "javascript:alert(1)"},
         "author_website"),
        ({"article": "a1", "body": "x", "url": "ftp://x.example"}, "url"),
        ({"article": "a1", "body": "x", "title": "t" * 301}, "title"),
        ({"article": "a" * 513, "body": "x"}, "article"),
        ({"article": "a1", "body": "x", "parent_id": 424242}, "parent_id"),
        ({"article": "a1", "body": "x", "parent_id": 0}, "parent_id"),
        ({"article": "a1", "body": "x", "parent_id": "7"}, "parent_id"),
        ({"article": "a1", "body": 5}, "body"),
        ({"article": "a1"}, "body"),
        ({"body": "x"}, "article"),
        ({"article": "a1", "body": "x", "status": "visible"}, "status"),
        ({"article": "a1", "body": "x", "id": 9}, "id"),
    ],
)
def test_each_bad_field_is_a_422_naming_it(api: Api, payload: dict, field: str) -> None:
    response = api.client.post(f"/api/v1/sites/{api.site}/comments", json=payload)
    body = assert_error(response, 422, "validation_failed")
    assert field in body["error"]["fields"]


def test_reply_to_a_comment_of_another_thread_is_422(api: Api) -> None:
    elsewhere = api.posted_id("there", article="other")
    response = api.post("here", article="a1", parent_id=elsewhere)
    assert_error(response, 422, "validation_failed", {"parent_id"})


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code"),
    [
        ("{not json", "application/json", 400, "invalid_json"),
        ("[1, 2]", "application/json", 400, "bad_request"),
        ("\xff\xfe", "application/json", 400, "invalid_json"),
        ("article=a1&body=x", "application/x-www-form-urlencoded", 415,
         "unsupported_media_type"),
        ('{"article": "a1", "body": "x"}', "text/plain", 415, "unsupported_media_type"),
    ],
)
def test_malformed_bodies_get_clear_4xx(api: Api, data, content_type, status, code) -> None:
    response = api.client.post(f"/api/v1/sites/{api.site}/comments", data=data,
                               content_type=content_type)
    assert_error(response, status, code)


def test_oversized_body_is_413(api: Api) -> None:
    payload = '{"article": "a1", "body": "' + "x" * 70_000 + '"}'
    response = api.client.post(f"/api/v1/sites/{api.site}/comments", data=payload,
                               content_type="application/json")
    assert_error(response, 413, "payload_too_large")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"article": "a1", "sort": "random"}, "sort"),
        ({"article": "a1", "limit": "0"}, "limit"),
        ({"article": "a1", "limit": "ten"}, "limit"),
        ({"article": "a1", "replies": "-1"}, "replies"),
        ({"article": "a1", "bogus": "1"}, "bogus"),
        ({}, "article"),
    ],
)
def test_bad_query_parameters_are_400_naming_them(api: Api, query, field) -> None:
    response = api.client.get(f"/api/v1/sites/{api.site}/thread", query_string=query)
    body = assert_error(response, 400, "bad_request")
    assert field in body["error"]["fields"]


def test_forged_cursor_is_400(api: Api) -> None:
    response = api.thread(cursor="eyJoYWNrIjogdHJ1ZX0")
    assert_error(response, 400, "invalid_cursor", {"cursor"})


def test_unknown_site_is_404(client) -> None:
    assert_error(client.get("/api/v1/sites/nope/thread?article=a"), 404, "site_not_found")
    response = client.post("/api/v1/sites/nope/comments", json={"article": "a", "body": "x"})
    assert_error(response, 404, "site_not_found")


def test_unknown_route_and_wrong_method_use_the_error_shape(api: Api) -> None:
    assert_error(api.client.get("/api/v1/nothing/here"), 404, "not_found")
    response = api.client.put(f"/api/v1/sites/{api.site}/comments", json={})
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_locked_thread_is_409(app, api: Api) -> None:
    from comments_service.extensions import db
    from comments_service.models import Thread

    api.posted_id("first")
    with app.app_context():
        db.session.query(Thread).update({"is_locked": True})
        db.session.commit()
    assert_error(api.post("second"), 409, "thread_locked")


def test_ids_beyond_any_row_are_4xx_not_a_database_overflow(api: Api) -> None:
    huge = 10**30
    response = api.post("x", parent_id=huge)
    assert_error(response, 422, "validation_failed", {"parent_id"})
    assert_error(api.client.get(f"/api/v1/sites/{api.site}/comments/{huge}"), 404, "not_found")
    assert_error(api.client.get(f"/api/v1/sites/{api.site}/comments/{2**31}/replies"),
                 404, "not_found")
