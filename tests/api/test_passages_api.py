"""api/passages.py and the passage parts of api/comments.py and api/threads.py over HTTP."""

from __future__ import annotations

from typing import Any

from comments_service.extensions import db
from comments_service.models import PassageAnchor
from comments_service.schemas import (
    PassageCountsOut,
    PostedCommentOut,
    PublicConfigOut,
    SingleCommentOut,
    ThreadPageOut,
)
from tests.api.test_comments import assert_error
from tests.conftest import Api, ModeratorLogin

XSS = '<img src=x onerror="alert(1)">'


def anchor(key: str = "p1", quote: str = "the river rose", **extra: str) -> dict[str, str]:
    return {"passage_key": key, "quote": quote, "prefix": "Overnight ",
            "suffix": " by a metre", **extra}


def passages(api: Api, article: str = "a1", **headers: str) -> Any:
    return api.client.get(f"/api/v1/sites/{api.site}/passages", query_string={
        "article": article}, headers=headers)


def test_post_with_an_anchor_returns_it_and_every_read_exposes_it(api: Api) -> None:
    response = api.post("On this bit", anchor=anchor(quote=XSS))
    assert response.status_code == 201, response.get_json()
    posted = PostedCommentOut.model_validate(response.get_json())
    assert posted.comment.anchor is not None
    # Plain text, exactly as selected: the widget shows it with textContent.
    assert posted.comment.anchor.quote == XSS

    reply = api.post("A reply", parent_id=posted.comment.id)
    page = ThreadPageOut.model_validate(api.thread().get_json())
    [top] = page.comments
    assert top.anchor == posted.comment.anchor
    assert top.replies[0].anchor is None
    one = api.client.get(f"/api/v1/sites/{api.site}/comments/{posted.comment.id}")
    assert SingleCommentOut.model_validate(one.get_json()).comment.anchor == top.anchor
    assert reply.get_json()["comment"]["anchor"] is None


def test_edit_keeps_the_anchor_in_its_response(api: Api) -> None:
    posted = api.post("First", anchor=anchor()).get_json()
    edited = api.client.patch(
        f"/api/v1/sites/{api.site}/comments/{posted['comment']['id']}",
        json={"body": "Second"}, headers={"X-Edit-Token": posted["edit_token"]})
    assert edited.status_code == 200
    assert edited.get_json()["comment"]["anchor"]["passage_key"] == "p1"


def test_bad_anchors_are_422_naming_the_field(api: Api) -> None:
    cases = [
        (anchor(key="two words"), {"anchor.passage_key"}),
        (anchor(quote=""), {"anchor.quote"}),
        (anchor(quote="x" * 501), {"anchor.quote"}),
        (anchor(prefix="x" * 33), {"anchor.prefix"}),
        (anchor(quote="x" * 2001), {"anchor.quote"}),  # past the column: the schema says so
        ({"passage_key": "p1"}, {"anchor.quote"}),
        ({**anchor(), "exact": "x"}, {"anchor.exact"}),
        ("p1", {"anchor"}),
    ]
    for bad, fields in cases:
        assert_error(api.post("Hi", anchor=bad), 422, "validation_failed", fields)
    root = api.posted_id("Root")
    assert_error(api.post("Reply", parent_id=root, anchor=anchor()), 422,
                 "validation_failed", {"anchor"})


def test_anchors_are_refused_when_passages_are_off(make_app: Any, site_factory: Any) -> None:
    api = site_factory(make_app(passages={"enabled": False}))
    assert_error(api.post("Hi", anchor=anchor()), 422, "validation_failed", {"anchor"})
    config = PublicConfigOut.model_validate(
        api.client.get(f"/api/v1/sites/{api.site}/config").get_json())
    assert config.passages.enabled is False


def test_thread_filter_by_passage(api: Api) -> None:
    first = api.posted_id("one", anchor=anchor("p1"))
    api.posted_id("two", anchor=anchor("p2"))
    api.posted_id("three")
    page = ThreadPageOut.model_validate(api.thread(passage="p1").get_json())
    assert [c.id for c in page.comments] == [first]
    assert len(api.thread().get_json()["comments"]) == 3
    assert_error(api.thread(passage="<b>"), 400, "bad_request", {"passage"})


def test_thread_etag_differs_per_passage_filter(api: Api) -> None:
    api.posted_id("one", anchor=anchor("p1"))
    everything = api.thread().headers["ETag"]
    filtered = api.thread(passage="p1")
    assert filtered.headers["ETag"] != everything
    again = api.client.get(f"/api/v1/sites/{api.site}/thread",
                           query_string={"article": "a1", "passage": "p1"},
                           headers={"If-None-Match": filtered.headers["ETag"]})
    assert again.status_code == 304


def test_counts_per_passage_with_etag_and_moderation(api: Api, moderator: ModeratorLogin,
                                                     ) -> None:
    empty = passages(api, "no-such-article")
    assert empty.status_code == 200
    assert empty.get_json() == {"counts": {}, "anchors": {}}

    one = api.posted_id("one", anchor=anchor("p1"))
    api.posted_id("reply", parent_id=one)
    api.posted_id("two", anchor=anchor("p2", quote=XSS))
    api.posted_id("plain")
    response = passages(api)
    assert response.status_code == 200
    body = PassageCountsOut.model_validate(response.get_json())
    assert body.counts == {"p1": 2, "p2": 1}
    assert body.anchors["p2"].quote == XSS
    etag = response.headers["ETag"]
    assert passages(api, **{"If-None-Match": etag}).status_code == 304

    hidden = api.client.post(f"/api/v1/moderation/comments/{one}/hide", json={},
                             headers=moderator.headers)
    assert hidden.status_code == 200, hidden.get_json()
    changed = passages(api, **{"If-None-Match": etag})
    assert changed.status_code == 200
    # The hidden root stays as a placeholder for its visible reply.
    assert changed.get_json()["counts"] == {"p1": 1, "p2": 1}


def test_counts_endpoint_errors(api: Api) -> None:
    assert_error(api.client.get(f"/api/v1/sites/{api.site}/passages"), 400, "bad_request",
                 {"article"})
    assert_error(api.client.get("/api/v1/sites/nope/passages?article=a1"), 404,
                 "site_not_found")


def test_config_tells_the_widget_about_passages(api: Api) -> None:
    config = PublicConfigOut.model_validate(
        api.client.get(f"/api/v1/sites/{api.site}/config").get_json())
    assert config.passages.enabled is True
    assert (config.passages.max_quote_chars, config.passages.context_chars) == (500, 32)


def test_deleting_an_anchored_comment_without_replies_removes_its_anchor(
    api: Api, app: Any
) -> None:
    posted = api.post("Gone soon", anchor=anchor()).get_json()
    deleted = api.client.delete(f"/api/v1/sites/{api.site}/comments/{posted['comment']['id']}",
                                headers={"X-Edit-Token": posted["edit_token"]})
    assert deleted.get_json()["placeholder"] is False
    with app.app_context():
        assert db.session.query(PassageAnchor).count() == 0
    assert passages(api).get_json()["counts"] == {}
