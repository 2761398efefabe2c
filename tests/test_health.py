"""health.py, logs.py, metrics.py and the 503 path: what operators rely on."""

from __future__ import annotations

import logging

import pytest

from tests.api.test_comments import assert_error
from tests.conftest import Api


def test_healthz_answers_without_touching_the_database(make_app) -> None:
    app = make_app(database={"url": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    response = app.test_client().get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def test_readyz_reports_a_reachable_database(client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "checks": {"database": "ok"}}


def test_readyz_is_503_when_the_database_is_unreachable(make_app) -> None:
    app = make_app(database={"url": "postgresql+psycopg://nobody@127.0.0.1:1/none",
                             "connect_timeout_s": 1})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == "unavailable"


def test_readyz_checks_a_redis_limits_storage(make_app) -> None:
    app = make_app(limits={"storage_uri": "redis://127.0.0.1:1/0"})
    body = app.test_client().get("/readyz").get_json()
    assert body["checks"]["limits_storage"] == "unavailable"


def test_api_answers_503_with_retry_after_when_the_database_is_down(make_app) -> None:
    app = make_app(database={"url": "postgresql+psycopg://nobody@127.0.0.1:1/none",
                             "connect_timeout_s": 1})
    client = app.test_client()
    read = client.get("/api/v1/sites/news/thread?article=a1")
    assert_error(read, 503, "unavailable")
    assert read.headers["Retry-After"] == "5"
    write = client.post("/api/v1/sites/news/comments", json={"article": "a1", "body": "x"})
    assert_error(write, 503, "unavailable")


def test_every_response_carries_a_request_id(client) -> None:
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert first != second
    assert len(first) >= 16


def test_a_sane_client_request_id_is_kept_and_a_hostile_one_replaced(client) -> None:
    kept = client.get("/healthz", headers={"X-Request-ID": "abc-123-def-456"})
    assert kept.headers["X-Request-ID"] == "abc-123-def-456"
    replaced = client.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert "<" not in replaced.headers["X-Request-ID"]


def test_unexpected_errors_are_logged_with_the_request_id_and_hidden(app, caplog) -> None:
    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret internals")

    caplog.set_level(logging.ERROR, logger="comments_service")
    logging.getLogger("comments_service").addHandler(caplog.handler)
    try:
        response = app.test_client().get("/boom", headers={"X-Request-ID": "req-00000001"})
    finally:
        logging.getLogger("comments_service").removeHandler(caplog.handler)
    assert_error(response, 500, "internal_error")
    assert "secret internals" not in response.get_data(as_text=True)
    assert any(getattr(r, "request_id", None) == "req-00000001" for r in caplog.records)


def test_metrics_count_requests_and_comments(api: Api) -> None:
    api.posted_id("hi")
    text = api.client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data(
        as_text=True)
    posted = 'method="POST",route="api_v1.post_comment",status="201"'
    assert f"comments_http_requests_total{{{posted}}}" in text
    assert "comments_created_total" in text
    assert "comments_http_request_seconds_bucket" in text


@pytest.mark.parametrize("address", ["203.0.113.9", "10.0.0.1"])
def test_metrics_are_hidden_from_other_clients(client, address: str) -> None:
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 404
