"""api/thread_front.py: unchanged thread pages (revalidations, pages built already) are
answered before Flask with the view's own status, body and headers; everything else is
left to Flask; every write to the thread, from any instance, is seen at once."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pytest
from flask import Flask
from prometheus_client import REGISTRY
from sqlalchemy import create_engine, text
from werkzeug.test import Client

from comments_service.api.thread_front import StateLookup, ThreadPageFront, thread_route
from tests.conftest import SITE_ORIGIN, Api, add_moderator, count_queries

THREAD = "/api/v1/sites/news/thread"
# Headers only Flask's path sets: Flask-Limiter's, on requests it counted.
FLASK_ONLY = re.compile(r"^X-RateLimit-", re.IGNORECASE)


class Spy:
    """Wraps the Flask app behind the front and counts the requests that reach it."""

    def __init__(self, app: Flask) -> None:
        self.front: ThreadPageFront = app.wsgi_app  # type: ignore[assignment]
        self.flask = self.front.wsgi_app
        self.calls = 0
        self.front.wsgi_app = self

    def __call__(self, environ: Any, start_response: Any) -> Iterable[bytes]:
        self.calls += 1
        return self.flask(environ, start_response)


def _comparable(headers: Any) -> dict[str, str]:
    return {name: value for name, value in headers.items()
            if not FLASK_ONLY.match(name) and name != "X-Request-ID"}


CASES: list[tuple[dict[str, str], dict[str, str]]] = [
    ({"article": "a1"}, {}),
    ({"article": "a1", "sort": "newest", "limit": "1"}, {"Origin": "https://elsewhere.example"}),
    ({"article": "a1", "replies": "0"}, {"X-Request-ID": "client-chosen-id-42"}),
    ({"article": "a1", "sort": "top"}, {"Origin": SITE_ORIGIN, "Accept-Encoding": "gzip"}),
    ({"article": "not-commented-yet"}, {}),
]


def test_a_page_built_already_is_answered_by_the_front_exactly_as_flask_answers_it(
    make_app: Any, site_factory: Any,
) -> None:
    app = make_app(limits={"enabled": True, "read_per_client": "100 per minute"})
    api = site_factory(app)
    first = api.posted_id("one *two*")
    api.posted_id("a reply", parent_id=first)
    api.posted_id("three")
    spy = Spy(app)
    flask_alone = Client(spy.flask)
    for params, headers in CASES:
        built = api.client.get(THREAD, query_string=params, headers=headers)
        assert built.status_code == 200
        calls = spy.calls
        front = api.client.get(THREAD, query_string=params, headers=headers)
        assert spy.calls == calls, f"{params} reached Flask"
        by_flask = flask_alone.get(THREAD, query_string=params, headers=headers)
        assert front.status_code == by_flask.status_code == 200
        assert front.get_data() == by_flask.get_data() == built.get_data()
        assert _comparable(front.headers) == _comparable(by_flask.headers), params
        assert front.headers["Content-Type"] == "application/json"
        offered = headers.get("X-Request-ID")
        assert front.headers["X-Request-ID"] == (offered or front.headers["X-Request-ID"])
        assert re.fullmatch(r"[A-Za-z0-9._-]{8,64}", front.headers["X-Request-ID"])
        if "Origin" in headers:
            assert front.headers["Access-Control-Allow-Origin"] == "*"
            assert "Origin" in front.headers["Vary"]

        again = api.client.get(THREAD, query_string=params,
                               headers={**headers, "If-None-Match": front.headers["ETag"]})
        by_flask = flask_alone.get(THREAD, query_string=params,
                                   headers={**headers, "If-None-Match": front.headers["ETag"]})
        assert spy.calls == calls
        assert again.status_code == by_flask.status_code == 304
        assert _comparable(again.headers) == _comparable(by_flask.headers), params


def test_the_cached_page_is_the_page_built_afresh(make_app: Any, site_factory: Any) -> None:
    """A second instance that keeps no pages builds the same bytes for every page."""
    app = make_app()
    api = site_factory(app)
    first = api.posted_id("**one** https://example.org/x")
    api.posted_id("> quoted", parent_id=first)
    Spy(app)
    uncached = make_app(threads={"page_cache_bytes": 0}).test_client()
    for params, _ in CASES:
        api.thread(**params)
        cached = api.thread(**params)
        fresh = uncached.get(THREAD, query_string=params)
        assert cached.get_data() == fresh.get_data()
        assert cached.headers["ETag"] == fresh.headers["ETag"]


def test_a_page_built_already_costs_one_query(api: Api) -> None:
    api.posted_id("one")
    api.thread()
    with count_queries(api.client.application) as statements:
        again = api.thread()
    assert again.status_code == 200
    assert len(statements) == 1, statements


def test_a_write_on_another_instance_is_seen_at_once(make_app: Any, site_factory: Any) -> None:
    reader_app = make_app()
    api = site_factory(reader_app)
    first = api.posted_id("one")
    spy = Spy(reader_app)
    api.thread()
    api.thread()
    calls = spy.calls

    writer = make_app().test_client()
    reply = writer.post("/api/v1/sites/news/comments",
                        json={"article": "a1", "body": "late reply", "parent_id": first})
    assert reply.status_code == 201

    after = api.thread()
    assert spy.calls == calls + 1  # built again, by the view
    bodies = [c["body_html"] for c in after.get_json()["comments"][0]["replies"]]
    assert bodies == ["<p>late reply</p>"]

    moderator = add_moderator(writer.application, "mod@news.example", "news")
    hidden = writer.post(f"/api/v1/moderation/comments/{first}/hide",
                         headers=moderator.headers, json={})
    assert hidden.status_code == 200
    assert [c["status"] for c in api.thread().get_json()["comments"]] == ["deleted"]


def test_what_the_front_does_not_answer_goes_to_flask_unchanged(
    make_app: Any, site_factory: Any,
) -> None:
    app = make_app()
    api = site_factory(app)
    api.posted_id("one")
    api.thread()
    spy = Spy(app)

    unknown = api.client.get("/api/v1/sites/nowhere/thread", query_string={"article": "a1"})
    assert unknown.status_code == 404
    assert unknown.get_json()["error"]["code"] == "site_not_found"
    refused = api.client.get(THREAD, query_string={"article": "a1", "limit": "0"})
    assert refused.status_code == 400
    assert "limit" in refused.get_json()["error"]["fields"]
    twice = api.client.get(THREAD + "?article=a1&article=a2")
    assert twice.status_code == 400
    head = api.client.head(THREAD, query_string={"article": "a1"})
    assert head.status_code == 200
    assert head.get_data() == b""
    assert spy.calls == 4


def test_nothing_is_answered_early_while_the_site_is_not_cached(
    make_app: Any, site_factory: Any,
) -> None:
    app = make_app(database={"site_cache_seconds": 0})
    api = site_factory(app)
    api.posted_id("one")
    etag = api.thread().headers["ETag"]
    spy = Spy(app)
    assert api.thread().status_code == 200
    assert api.client.get(THREAD, query_string={"article": "a1"},
                          headers={"If-None-Match": etag}).status_code == 304
    assert spy.calls == 2


def test_answers_from_the_front_are_counted_in_the_request_metrics(api: Api) -> None:
    api.posted_id("one")
    etag = api.thread().headers["ETag"]

    def counted(status: str) -> float:
        return REGISTRY.get_sample_value(
            "comments_http_requests_total",
            {"route": "api_v1.get_thread", "method": "GET", "status": status}) or 0.0

    def pages(made: str) -> float:
        return REGISTRY.get_sample_value("comments_thread_pages_total", {"made": made}) or 0.0

    before_200, before_304 = counted("200"), counted("304")
    cached, built = pages("cached"), pages("built")
    api.thread()
    api.client.get(THREAD, query_string={"article": "a1"}, headers={"If-None-Match": etag})
    assert counted("200") == before_200 + 1
    assert counted("304") == before_304 + 1
    assert (pages("cached"), pages("built")) == (cached + 1, built)
    api.thread(sort="newest")
    assert (pages("cached"), pages("built")) == (cached + 1, built + 1)


def test_a_connection_the_database_dropped_costs_the_reader_nothing(
    make_app: Any, site_factory: Any,
) -> None:
    """PostgreSQL restarts end every pooled connection; the front's pool does not ping
    on checkout, so its read finds out and is tried once more on a new connection."""
    app = make_app()
    if app.extensions["comments_front_engine"].dialect.name != "postgresql":
        pytest.skip("the front has its own pool only on a database server (PostgreSQL)")
    api = site_factory(app)
    api.posted_id("one")
    api.thread()
    spy = Spy(app)
    assert api.thread().status_code == 200  # the front's pool holds a connection now
    front_engine = app.extensions["comments_front_engine"]
    with front_engine.connect() as connection:
        pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    with make_app().app_context():
        from comments_service.extensions import db

        db.session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        db.session.commit()
    again = api.thread()
    assert again.status_code == 200
    assert again.get_json()["comments"][0]["body_html"] == "<p>one</p>"
    assert spy.calls == 0


@pytest.mark.parametrize("url", [
    "sqlite:////nonexistent-folder/for/comments.db",
    "postgresql+psycopg://postgres@127.0.0.1:1/comments?connect_timeout=2",
])
def test_a_database_the_front_cannot_reach_leaves_the_answer_to_flask(url: str) -> None:
    """No connection to be had (a database down, a file gone): the lookup says so and
    the request goes on to Flask, which answers 503 (tests/scale), never a 500 here."""
    lookup = StateLookup(create_engine(url))
    assert lookup(1, "a1") is None


def test_the_front_listens_where_the_thread_view_is_registered(app: Flask) -> None:
    """Its URL and endpoint come from the registered route, not from a copy of them."""
    route = thread_route(app)
    assert (route.prefix, route.suffix, route.endpoint) == (
        "/api/v1/sites/", "/thread", "api_v1.get_thread")
    assert app.url_map.bind("localhost").match(f"{route.prefix}news{route.suffix}")[0] == (
        route.endpoint)
    other = Flask(__name__)
    with pytest.raises(LookupError):
        thread_route(other)


def test_with_the_front_off_every_thread_request_reaches_flask(
    make_app: Any, site_factory: Any,
) -> None:
    """[threads] front = false: nothing before Flask; revalidations still get their 304."""
    app = make_app(threads={"front": False})
    assert not isinstance(app.wsgi_app, ThreadPageFront)
    assert isinstance(make_app().wsgi_app, ThreadPageFront)
    api = site_factory(app)
    api.posted_id("one")
    first = api.thread()
    again = api.client.get(THREAD, query_string={"article": "a1"},
                           headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
