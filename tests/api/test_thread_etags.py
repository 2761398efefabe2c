"""api/thread_etags.py and thread_front.py: a thread page revalidated with its current ETag
is a 304 answered before Flask, and the ETag still changes with every change to the thread,
seen from every instance."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.conftest import Api, add_moderator, count_queries

THREAD = "/api/v1/sites/news/thread"


def _revalidate(client: FlaskClient, etag: str, **params: Any) -> Any:
    return client.get(THREAD, query_string={"article": "a1", **params},
                      headers={"If-None-Match": etag})


def test_matching_revalidation_is_a_304_with_the_page_s_etag_and_one_query(
    api: Api,
) -> None:
    api.posted_id("one")
    page = api.thread()
    etag = page.headers["ETag"]
    with count_queries(api.client.application) as statements:
        again = _revalidate(api.client, etag)
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "no-cache"
    assert again.headers["X-Request-ID"]
    assert len(statements) == 1, statements


def test_revalidation_of_another_page_of_the_same_thread_gets_that_page(api: Api) -> None:
    api.posted_id("one")
    etag = api.thread().headers["ETag"]
    other = _revalidate(api.client, etag, sort="newest")
    assert other.status_code == 200
    assert other.headers["ETag"] != etag
    assert other.get_json()["comments"][0]["body_html"] == "<p>one</p>"


def test_a_query_the_view_refuses_is_refused_with_an_etag_too(api: Api) -> None:
    api.posted_id("one")
    etag = api.thread().headers["ETag"]
    refused = _revalidate(api.client, etag, limit="0")
    assert refused.status_code == 400


def test_answers_that_need_no_building_are_not_counted_by_the_read_limit(
    make_app: Any, site_factory: Any,
) -> None:
    """A matching revalidation and a page this process built already cost one lookup;
    anything that needs building still counts, and is refused past the limit."""
    app = make_app(limits={"enabled": True, "read_per_client": "2 per minute"},
                   spam={"enabled": False})
    api = site_factory(app)
    api.posted_id("one")
    etag = api.thread().headers["ETag"]  # built: the first read counted
    assert [_revalidate(api.client, etag).status_code for _ in range(5)] == [304] * 5
    assert [api.thread().status_code for _ in range(5)] == [200] * 5  # built already
    assert api.thread(sort="newest").status_code == 200  # built: the second
    assert api.thread(sort="top").status_code == 429
    assert _revalidate(api.client, '"stale"', sort="top").status_code == 429


def test_a_moderator_hiding_a_comment_changes_the_etag_on_another_instance(
    make_app: Any, site_factory: Any,
) -> None:
    """Two apps on one database, as two processes or hosts: the reader's instance has
    the site cached and answers revalidations early; a moderation action on the other
    instance must still reach the reader at once."""
    reader_app = make_app()
    api = site_factory(reader_app)
    ident = api.posted_id("one")
    etag = api.thread().headers["ETag"]
    assert _revalidate(api.client, etag).status_code == 304

    moderator_app = make_app()
    moderator = add_moderator(moderator_app, "mod@news.example", "news")
    hidden = moderator_app.test_client().post(
        f"/api/v1/moderation/comments/{ident}/hide", headers=moderator.headers, json={})
    assert hidden.status_code == 200, hidden.get_json()

    after = _revalidate(api.client, etag)
    assert after.status_code == 200
    assert after.headers["ETag"] != etag
    assert after.get_json()["comments"] == []
