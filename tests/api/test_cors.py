"""api/cors.py: reads from anywhere, writes only from the site's configured origins."""

from __future__ import annotations

from tests.api.test_comments import assert_error
from tests.conftest import SITE_ORIGIN, Api

EVIL = "https://evil.example"


def test_reads_are_allowed_from_any_origin(api: Api) -> None:
    response = api.client.get(f"/api/v1/sites/{api.site}/thread",
                              query_string={"article": "a1"}, headers={"Origin": EVIL})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]


def test_write_from_the_sites_origin_is_allowed_and_readable(api: Api) -> None:
    response = api.client.post(f"/api/v1/sites/{api.site}/comments",
                               json={"article": "a1", "body": "hi"},
                               headers={"Origin": SITE_ORIGIN})
    assert response.status_code == 201
    assert response.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN
    assert "Origin" in response.headers["Vary"]


def test_write_from_another_origin_is_refused_before_anything_is_stored(api: Api) -> None:
    response = api.client.post(f"/api/v1/sites/{api.site}/comments",
                               json={"article": "a1", "body": "hi"},
                               headers={"Origin": EVIL})
    assert_error(response, 403, "origin_not_allowed")
    assert "Access-Control-Allow-Origin" not in response.headers
    assert api.thread().get_json()["thread"] is None


def test_origin_match_ignores_case_and_default_port(api: Api) -> None:
    response = api.client.post(f"/api/v1/sites/{api.site}/comments",
                               json={"article": "a1", "body": "hi"},
                               headers={"Origin": "HTTPS://News.Example:443"})
    assert response.status_code == 201


def test_edit_and_delete_from_another_origin_are_refused(api: Api) -> None:
    posted = api.post("mine").get_json()
    url = f"/api/v1/sites/{api.site}/comments/{posted['comment']['id']}"
    headers = {"Origin": EVIL, "X-Edit-Token": posted["edit_token"]}
    assert_error(api.client.patch(url, json={"body": "x"}, headers=headers), 403,
                 "origin_not_allowed")
    assert_error(api.client.delete(url, headers=headers), 403, "origin_not_allowed")


def test_preflight_for_a_write_names_the_allowed_origin_methods_and_headers(api: Api) -> None:
    response = api.client.options(
        f"/api/v1/sites/{api.site}/comments",
        headers={"Origin": SITE_ORIGIN, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"},
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "X-Edit-Token" in response.headers["Access-Control-Allow-Headers"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]


def test_preflight_for_a_write_from_another_origin_gets_no_allowance(api: Api) -> None:
    response = api.client.options(
        f"/api/v1/sites/{api.site}/comments",
        headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in response.headers


def test_same_origin_pages_of_the_service_may_write(api: Api) -> None:
    response = api.client.post(f"/api/v1/sites/{api.site}/comments",
                               json={"article": "a1", "body": "hi"},
                               headers={"Origin": "http://localhost"})
    assert response.status_code == 201


def test_errors_of_reads_are_readable_cross_origin(api: Api) -> None:
    response = api.client.get(f"/api/v1/sites/{api.site}/thread",
                              query_string={"article": "a1", "sort": "bad"},
                              headers={"Origin": EVIL})
    assert response.status_code == 400
    assert response.headers["Access-Control-Allow-Origin"] == "*"
