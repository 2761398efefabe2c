"""Thread pages compressed for clients that accept it, kept compressed in the page cache
(services/page_cache.py), answered the same by the front (thread_front.py) and by Flask,
each encoding under its own ETag (issue 24.3)."""

from __future__ import annotations

import gzip
import json
from typing import Any

import brotli
import pytest
from werkzeug.test import Client

from comments_service import compression
from tests.api.test_thread_front import THREAD, Spy, _comparable
from tests.conftest import SITE_ORIGIN

DECODE = {"br": brotli.decompress, "gzip": gzip.decompress}
ACCEPTS = [
    ({"Accept-Encoding": "br"}, "br"),
    ({"Accept-Encoding": "gzip, deflate"}, "gzip"),
    ({"Accept-Encoding": "gzip;q=1, br;q=0.5", "Origin": SITE_ORIGIN}, "gzip"),
    ({"Accept-Encoding": "br, gzip", "Origin": "https://elsewhere.example"}, "br"),
    ({"Accept-Encoding": "identity"}, None),
    ({}, None),
]


@pytest.fixture
def busy(make_app: Any, site_factory: Any) -> Any:
    """An app with a thread whose first page is well over compression.min_bytes."""
    app = make_app()
    api = site_factory(app)
    for n in range(8):
        api.posted_id(f"Comment number {n}, long enough to make the page worth compressing.")
    return app, api


def _counting_compressions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = compression.compress

    def counting(body: bytes, encoding: str, **levels: int) -> bytes:
        calls.append(encoding)
        return real(body, encoding, **levels)

    monkeypatch.setattr(compression, "compress", counting)
    return calls


@pytest.mark.parametrize(("headers", "encoding"), ACCEPTS)
def test_a_compressed_page_is_answered_by_the_front_exactly_as_flask_answers_it(
    busy: Any, headers: dict[str, str], encoding: str | None
) -> None:
    app, api = busy
    plain = api.thread().get_data()
    assert len(plain) > 2 * app.extensions["comments_settings"].compression.min_bytes
    spy = Spy(app)
    flask_alone = Client(spy.flask)
    calls = spy.calls
    front = api.client.get(THREAD, query_string={"article": "a1"}, headers=headers)
    assert spy.calls == calls, "the cached page reached Flask"
    by_flask = flask_alone.get(THREAD, query_string={"article": "a1"}, headers=headers)
    assert front.status_code == by_flask.status_code == 200
    assert front.get_data() == by_flask.get_data()
    assert _comparable(front.headers) == _comparable(by_flask.headers)
    assert front.headers.get("Content-Encoding") == encoding
    assert "Accept-Encoding" in front.headers["Vary"]
    if encoding:
        assert len(front.get_data()) < len(plain) / 2
        assert DECODE[encoding](front.get_data()) == plain
    else:
        assert front.get_data() == plain

    revalidation = {**headers, "If-None-Match": front.headers["ETag"]}
    again = api.client.get(THREAD, query_string={"article": "a1"}, headers=revalidation)
    by_flask = flask_alone.get(THREAD, query_string={"article": "a1"}, headers=revalidation)
    assert spy.calls == calls
    assert again.status_code == by_flask.status_code == 304
    assert again.headers["ETag"] == front.headers["ETag"]
    assert _comparable(again.headers) == _comparable(by_flask.headers)


def test_each_encoding_has_its_own_etag_and_another_s_is_no_304(busy: Any) -> None:
    _, api = busy
    etags = {}
    for encoding in ("br", "gzip", None):
        headers = {"Accept-Encoding": encoding} if encoding else {}
        etags[encoding] = api.client.get(THREAD, query_string={"article": "a1"},
                                         headers=headers).headers["ETag"]
    assert len(set(etags.values())) == 3, etags
    answer = api.client.get(THREAD, query_string={"article": "a1"},
                            headers={"Accept-Encoding": "gzip", "If-None-Match": etags["br"]})
    assert answer.status_code == 200
    assert answer.headers["Content-Encoding"] == "gzip"


def test_a_cached_page_is_compressed_once_per_encoding_and_version(
    busy: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, api = busy
    calls = _counting_compressions(monkeypatch)
    for _ in range(3):
        for accept in ("br", "gzip"):
            answer = api.client.get(THREAD, query_string={"article": "a1"},
                                    headers={"Accept-Encoding": accept})
            assert answer.headers["Content-Encoding"] == accept
    assert calls == ["br", "gzip"]

    api.posted_id("A new comment: a new version of the page.")
    answer = api.client.get(THREAD, query_string={"article": "a1"},
                            headers={"Accept-Encoding": "br"})
    page = json.loads(brotli.decompress(answer.get_data()))
    assert any("A new comment" in c["body_html"] for c in page["comments"])
    assert calls == ["br", "gzip", "br"]


def test_without_a_page_cache_pages_are_still_compressed(make_app: Any,
                                                         site_factory: Any) -> None:
    app = make_app(threads={"page_cache_bytes": 0})
    api = site_factory(app)
    for n in range(8):
        api.posted_id(f"Comment number {n}, long enough to make the page worth compressing.")
    plain = api.thread().get_data()
    answer = api.client.get(THREAD, query_string={"article": "a1"},
                            headers={"Accept-Encoding": "gzip"})
    assert answer.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(answer.get_data()) == plain
