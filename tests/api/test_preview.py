"""api/preview.py: a body rendered exactly as a post would store it, and nothing stored."""

from __future__ import annotations

import pytest

from comments_service.schemas.preview import PreviewOut
from tests.api.test_comments import assert_error
from tests.conftest import Api

HOSTILE = (
    "**bold** and _it_ <script>alert('x')</script>\n\n"
    "[link](javascript:alert(1)) <img src=x onerror=alert(1)> https://example.org/a"
)


def preview(api: Api, body: object, **kwargs: object):
    return api.client.post(f"/api/v1/sites/{api.site}/preview", json={"body": body}, **kwargs)


def test_preview_is_byte_for_byte_the_body_html_a_post_stores(api: Api) -> None:
    shown = preview(api, HOSTILE)
    assert shown.status_code == 200, shown.get_json()
    html = PreviewOut.model_validate(shown.get_json()).body_html
    posted = api.post(HOSTILE).get_json()["comment"]["body_html"]
    assert html == posted
    assert "<strong>bold</strong>" in html
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert "<img" not in html
    assert "href=\"javascript" not in html


def test_preview_stores_nothing(api: Api) -> None:
    assert preview(api, "only a preview").status_code == 200
    assert api.thread().get_json()["comments"] == []
    counts = api.client.get(f"/api/v1/sites/{api.site}/counts", query_string={"article": "a1"})
    assert counts.get_json()["counts"] == {"a1": 0}


@pytest.mark.parametrize("body", ["", "   \n\t ", "\x00\x01", "x" * 10_001])
def test_a_blank_or_long_body_gets_the_same_422_as_a_post(api: Api, body: str) -> None:
    refused = assert_error(preview(api, body), 422, "validation_failed", {"body"})
    posted = assert_error(api.post(body), 422, "validation_failed")
    assert refused["error"]["fields"]["body"] == posted["error"]["fields"]["body"]


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"data": "body=x", "content_type": "application/x-www-form-urlencoded"}, 415,
         "unsupported_media_type"),
        ({"data": "{not json", "content_type": "application/json"}, 400, "invalid_json"),
        ({"data": "[1]", "content_type": "application/json"}, 400, "bad_request"),
        ({"json": {"body": 5}}, 422, "validation_failed"),
        ({"json": {"body": "x", "article": "a1"}}, 422, "validation_failed"),
        ({"json": {}}, 422, "validation_failed"),
        ({"json": {"body": "x" * 70_000}}, 413, "payload_too_large"),
    ],
)
def test_hostile_requests_get_a_4xx_in_the_error_shape(api: Api, kwargs, status, code) -> None:
    response = api.client.post(f"/api/v1/sites/{api.site}/preview", **kwargs)
    assert_error(response, status, code)


def test_an_unknown_site_is_404(api: Api) -> None:
    response = api.client.post("/api/v1/sites/nope/preview", json={"body": "x"})
    assert_error(response, 404, "site_not_found")


def test_any_origin_may_preview_as_it_may_read(api: Api) -> None:
    foreign = {"Origin": "https://elsewhere.example"}
    shown = preview(api, "hi", headers=foreign)
    assert shown.status_code == 200
    assert shown.headers["Access-Control-Allow-Origin"] == "*"
    assert shown.headers["Cache-Control"] == "no-store"
    preflight = api.client.options(
        f"/api/v1/sites/{api.site}/preview",
        headers={**foreign, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "Content-Type"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    # A real write from that origin is still refused.
    written = api.client.post(f"/api/v1/sites/{api.site}/comments", headers=foreign,
                              json={"article": "a1", "body": "hi"})
    assert_error(written, 403, "origin_not_allowed")


def test_previews_are_limited_by_the_read_limit(make_app, site_factory) -> None:
    app = make_app(limits={"enabled": True, "storage_uri": "memory://",
                           "read_per_client": "3 per minute"})
    api = site_factory(app)
    statuses = [preview(api, "x").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
