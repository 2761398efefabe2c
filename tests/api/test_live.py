"""api/live.py: a thread's event stream and long poll: fed after commits, bounded, DB-free idle."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server
from werkzeug.test import TestResponse

from comments_service.extensions import db
from comments_service.schemas.live import LiveEventsOut
from tests.api.test_comments import assert_error
from tests.conftest import Api, ModeratorLogin, add_moderator

EVENTS = "/api/v1/sites/news/thread/events"
MODERATION = "/api/v1/moderation"


class Stream:
    """An open SSE response, read one message (blank-line separated block) at a time."""

    def __init__(self, response: TestResponse) -> None:
        self.response = response
        self._chunks: Iterator[bytes] = iter(response.response)  # type: ignore[arg-type]

    def read(self) -> dict[str, Any]:
        """The next message as {field: value} (comment lines under ":")."""
        chunk = next(self._chunks)
        text = chunk.decode() if isinstance(chunk, bytes) else chunk
        fields: dict[str, Any] = {}
        for line in text.strip("\n").split("\n"):
            name, _, value = line.partition(":")
            fields[name] = value.strip()
        if "data" in fields:
            fields["data"] = json.loads(fields["data"])
        return fields

    def read_until_ready(self) -> list[dict[str, Any]]:
        messages = []
        while True:
            message = self.read()
            if message.get("event") == "ready":
                return [*messages, message]
            messages.append(message)

    def close(self) -> None:
        self.response.close()


def open_stream(client: Any, **params: Any) -> Stream:
    headers = params.pop("headers", {})
    response = client.get(EVENTS, query_string={"article": "a1", **params}, headers=headers,
                          buffered=False)
    assert response.status_code == 200, response.get_data()
    return Stream(response)


@pytest.fixture
def live_app(make_app: Any) -> Flask:
    return make_app(live={"heartbeat_seconds": 30, "max_stream_seconds": 60})


@pytest.fixture
def live_api(live_app: Flask, site_factory: Any) -> Api:
    return site_factory(live_app)


def test_stream_sends_a_comment_posted_in_another_request(live_api: Api) -> None:
    """A stream opened before a post gets that comment as an event, with only public fields."""
    stream = open_stream(live_api.client)
    assert stream.response.mimetype == "text/event-stream"
    assert stream.response.headers["Cache-Control"] == "no-cache"
    assert stream.response.headers["X-Accel-Buffering"] == "no"
    assert stream.read() == {"retry": "2000"}
    ready = stream.read_until_ready()[-1]
    first = live_api.posted_id("Hello", author_email="ann@example.com")
    reply = live_api.posted_id("Reply", parent_id=first)
    event = stream.read()
    assert event["event"] == "comment"
    assert event["id"] == str(first)
    assert set(event["data"]) == {"thread_id", "comment_id", "parent_id", "created_at"}
    assert event["data"]["comment_id"] == first
    assert event["data"]["parent_id"] is None
    assert "ann@example.com" not in json.dumps(event)
    second = stream.read()
    assert (second["id"], second["data"]["parent_id"]) == (str(reply), first)
    assert int(ready["id"]) < first
    stream.close()


def test_stream_of_another_article_hears_nothing(live_api: Api) -> None:
    """Events are per thread: a post on a2 does not reach a stream of a1."""
    stream = open_stream(live_api.client, article="a2")
    stream.read_until_ready()
    live_api.posted_id("Elsewhere", article="a1")
    mine = live_api.posted_id("Here", article="a2")
    assert stream.read()["id"] == str(mine)
    stream.close()


def test_reconnect_with_last_event_id_replays_what_was_missed(live_api: Api) -> None:
    """Last-Event-ID (or since) replays visible comments of the thread posted after it."""
    first = live_api.posted_id("one")
    second = live_api.posted_id("two")
    live_api.posted_id("other article", article="a2")
    third = live_api.posted_id("three", parent_id=first)
    stream = open_stream(live_api.client, headers={"Last-Event-ID": str(first)})
    messages = stream.read_until_ready()
    comments = [m for m in messages if m.get("event") == "comment"]
    assert [m["data"]["comment_id"] for m in comments] == [second, third]
    assert messages[-1]["id"] == str(third)
    stream.close()
    by_query = open_stream(live_api.client, since=third)
    assert [m.get("event") for m in by_query.read_until_ready()] == [None, "ready"]
    by_query.close()


def test_a_bad_last_event_id_is_a_400(live_api: Api) -> None:
    """A Last-Event-ID that is no id we sent is a client error, not a 500."""
    response = live_api.client.get(EVENTS, query_string={"article": "a1"},
                                   headers={"Last-Event-ID": "abc"})
    assert_error(response, 400, "bad_request")
    assert_error(live_api.client.get(EVENTS), 400, "bad_request")
    too_long = live_api.client.get(EVENTS, query_string={"article": "k" * 600})
    assert_error(too_long, 400, "bad_request")


def test_a_last_event_id_of_thousands_of_digits_or_other_digits_is_a_400(live_api: Api) -> None:
    """Python refuses int() of more than 4,300 digits, and str.isdigit() accepts "²":
    neither reaches int() (config.as_row_id), so neither is a 500."""
    for header in ("9" * 5000, "²", str(2**31)):
        response = live_api.client.get(EVENTS, query_string={"article": "a1"},
                                       headers={"Last-Event-ID": header})
        assert_error(response, 400, "bad_request")


def test_the_article_key_is_trimmed_as_posting_trims_it(live_api: Api) -> None:
    """A key sent with spaces follows the same thread as the one posted without them."""
    stream = open_stream(live_api.client, article="  a1 ")
    stream.read_until_ready()
    new = live_api.posted_id("trimmed", article="a1")
    assert stream.read()["id"] == str(new)
    stream.close()


def test_idle_stream_sends_heartbeats(make_app: Any, site_factory: Any) -> None:
    """With nothing to say the stream sends comment lines, so proxies and the server see it live."""
    api = site_factory(make_app(live={"heartbeat_seconds": 0.05}))
    stream = open_stream(api.client)
    stream.read_until_ready()
    assert stream.read() == {"": "heartbeat"}
    stream.close()


def test_stream_ends_after_max_stream_seconds(make_app: Any, site_factory: Any) -> None:
    """The server ends a stream after live.max_stream_seconds; the browser reconnects."""
    api = site_factory(make_app(live={"heartbeat_seconds": 0.05, "max_stream_seconds": 0.2}))
    stream = open_stream(api.client)
    stream.read_until_ready()
    rest = list(stream._chunks)
    assert rest
    assert all(chunk.startswith(b": heartbeat") for chunk in rest)


def test_an_idle_stream_holds_no_database_connection(live_app: Flask, live_api: Api) -> None:
    """On a real threaded server, while a stream waits every pooled connection is back."""
    live_api.posted_id("before")
    with live_app.app_context():
        pool = db.engine.pool
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
    try:
        connection.request("GET", f"{EVENTS}?article=a1&since=0")
        response = connection.getresponse()
        assert response.status == 200
        lines = []
        while not lines or not lines[-1].startswith("event: ready"):
            lines.append(response.readline().decode().strip())
        assert pool.checkedout() == 0  # type: ignore[attr-defined]
        new = live_api.posted_id("during")
        while not lines[-1].startswith("data: {\""):
            lines.append(response.readline().decode().strip())
        assert json.loads(lines[-1].removeprefix("data:"))["comment_id"] == new
        assert pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        connection.close()
        server.shutdown()
        server.server_close()
        thread.join()


def test_streams_per_client_are_capped_with_429(make_app: Any, site_factory: Any) -> None:
    """Beyond live.max_streams_per_client a client gets 429 with Retry-After, until one closes."""
    api = site_factory(make_app(live={"max_streams_per_client": 2, "heartbeat_seconds": 7}))
    streams = [open_stream(api.client), open_stream(api.client)]
    refused = api.client.get(EVENTS, query_string={"article": "a1"})
    assert_error(refused, 429, "too_many_streams")
    assert refused.headers["Retry-After"] == "7"
    other = api.client.get(EVENTS, query_string={"article": "a1"}, buffered=False,
                           environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert other.status_code == 200
    other.close()
    streams[0].close()
    again = open_stream(api.client)
    again.close()
    streams[1].close()


def test_streams_per_process_are_capped_with_503(make_app: Any, site_factory: Any) -> None:
    """Beyond live.max_streams_per_process anyone gets 503 streams_busy with Retry-After."""
    api = site_factory(make_app(live={"max_streams_per_process": 1}))
    stream = open_stream(api.client)
    refused = api.client.get(EVENTS, query_string={"article": "a1"},
                             environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert_error(refused, 503, "streams_busy")
    assert refused.headers["Retry-After"]
    poll = api.client.get(EVENTS, query_string={"article": "a1", "poll": 1, "since": 0},
                          environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert_error(poll, 503, "streams_busy")
    stream.close()
    assert api.client.get(EVENTS, query_string={"article": "a1", "poll": 1}).status_code == 200


def test_streams_per_process_default_to_half_the_threads(make_app: Any) -> None:
    """gthread: max_streams_per_process = 0 leaves half of the server's threads to
    ordinary requests."""
    app = make_app(server={"threads": 8, "worker_class": "gthread"})
    assert app.extensions["comments_live"].slots.per_process == 4


def test_one_thread_leaves_no_room_for_a_stream(make_app: Any, site_factory: Any) -> None:
    """With one server thread a stream would hold it and stall every other request: both
    the stream and the long poll are refused at once with 503 and Retry-After."""
    api = site_factory(make_app(server={"threads": 1, "worker_class": "gthread"}))
    for query in ({"article": "a1"}, {"article": "a1", "poll": 1}):
        response = api.client.get(EVENTS, query_string=query)
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "streams_busy"
        assert "Retry-After" in response.headers


def test_long_poll_answers_at_once_with_news(live_api: Api) -> None:
    """poll=1 with news after `since` answers at once, as JSON."""
    first = live_api.posted_id("one")
    second = live_api.posted_id("two")
    response = live_api.client.get(EVENTS, query_string={"article": "a1", "poll": 1,
                                                         "since": first})
    assert response.status_code == 200
    body = LiveEventsOut.model_validate(response.get_json())
    assert [e.comment_id for e in body.events] == [second]
    assert body.last_event_id == second


def test_long_poll_without_since_gives_the_marker_to_start_from(live_api: Api) -> None:
    """poll=1 without since answers at once with no events and the id to poll from."""
    last = live_api.posted_id("one")
    body = live_api.client.get(EVENTS, query_string={"article": "a9", "poll": 1}).get_json()
    assert body == {"events": [], "last_event_id": last}


def test_long_poll_without_news_answers_empty_after_a_bounded_wait(
    make_app: Any, site_factory: Any
) -> None:
    """With nothing new the poll waits live.poll_seconds, then answers an empty list."""
    api = site_factory(make_app(live={"poll_seconds": 0.1}))
    last = api.posted_id("one")
    body = api.client.get(EVENTS, query_string={"article": "a1", "poll": 1,
                                                "since": last}).get_json()
    assert body == {"events": [], "last_event_id": last}


def test_a_held_comment_is_announced_when_approved_not_when_posted(
    live_app: Flask, live_api: Api
) -> None:
    """Pending comments are not news; the moderator's approval is, after its commit."""
    moderator: ModeratorLogin = add_moderator(live_app, "mod@news.example", "news")
    live_api.client.patch(f"{MODERATION}/sites/news/settings", headers=moderator.headers,
                          json={"premoderation": True})
    stream = open_stream(live_api.client, since=0)
    stream.read_until_ready()
    held = live_api.post("wait for me").get_json()
    assert held["status"] == "pending"
    response = live_api.client.post(f"{MODERATION}/comments/{held['id']}/approve",
                                    headers=moderator.headers, json={})
    assert response.status_code == 200
    event = stream.read()
    assert event["data"]["comment_id"] == held["id"]
    stream.close()


def test_a_rolled_back_announcement_is_never_published(live_app: Flask, live_api: Api) -> None:
    """announce() publishes only on commit: a rollback drops the event."""
    from comments_service import live
    from comments_service.models import Comment

    first = live_api.posted_id("one")
    stream = open_stream(live_api.client)
    stream.read_until_ready()
    with live_app.app_context():
        comment = db.session.get(Comment, first)
        assert comment is not None
        live.announce(db.session, comment)
        db.session.rollback()
        live.announce(db.session, comment)
        db.session.commit()
    assert stream.read()["id"] == str(first)
    stream.close()


def test_live_off_answers_404(make_app: Any, site_factory: Any) -> None:
    """With live.enabled = false the route answers 404 live_disabled."""
    api = site_factory(make_app(live={"enabled": False}))
    assert_error(api.client.get(EVENTS, query_string={"article": "a1"}), 404, "live_disabled")


def test_stream_allows_any_origin_like_other_reads(live_api: Api) -> None:
    """CORS: a page on any origin may read the stream (EventSource without credentials)."""
    response = live_api.client.get(EVENTS, query_string={"article": "a1", "poll": 1},
                                   headers={"Origin": "https://elsewhere.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
