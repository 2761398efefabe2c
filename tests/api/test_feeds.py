"""api/feeds.py: Atom feeds per article and per site, as a feed reader sees them.

Each feed is parsed with feedparser (what readers use) and checked against the
RELAX NG grammar of RFC 4287 (tests/data/atom.rng) with lxml; the raw XML is read
too, where escaping is what is being proved.
"""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest
from lxml import etree

from tests.api.test_comments import assert_error
from tests.conftest import Api, ModeratorLogin, count_queries

ATOM = "{http://www.w3.org/2005/Atom}"
SCHEMA = etree.RelaxNG(etree.parse(Path(__file__).parent.parent / "data" / "atom.rng"))
HOSTILE_NAME = "<script>alert(1)</script> & \"Bob\" \ufffe"
HOSTILE_BODY = "**bold** <script>alert('x')</script> & <b onclick=x>b</b> ]]> <!-- c -->"


def article_feed(api: Api, article: str = "a1", **kwargs):
    return api.client.get(f"/api/v1/sites/{api.site}/thread/feed.atom",
                          query_string={"article": article}, **kwargs)


def site_feed(api: Api, **kwargs):
    return api.client.get(f"/api/v1/sites/{api.site}/feed.atom", **kwargs)


def valid_atom(response) -> etree._Element:
    """The response is an Atom document RFC 4287's grammar accepts (both schematron rules
    of its Appendix B included); its root element."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/atom+xml"
    root = etree.fromstring(response.get_data())
    assert SCHEMA.validate(root), SCHEMA.error_log
    entries = root.findall(f"{ATOM}entry")
    for entry in entries:
        assert entry.find(f"{ATOM}content") is not None or entry.find(
            f"{ATOM}link[@rel='alternate']") is not None
    has_author = root.find(f"{ATOM}author") is not None
    assert has_author or all(e.find(f"{ATOM}author") is not None for e in entries)
    return root


def post(api: Api, body: str, article: str = "a1", **fields) -> dict:
    fields.setdefault("url", f"https://news.example/{article}?x=1&y=2")
    fields.setdefault("title", f"Title of {article}")
    response = api.post(body, article, **fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["comment"]


def test_article_feed_lists_its_visible_comments_newest_first_with_links(api: Api) -> None:
    first = post(api, "first", author_name="Ann", author_email="ann@private.example")
    second = post(api, "second", author_name="Ben")
    reply = post(api, "a reply", author_name="Cy", parent_id=first["id"])
    post(api, "elsewhere", article="a2")
    response = article_feed(api)
    valid_atom(response)
    parsed = feedparser.parse(response.get_data())
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.feed.title == "Comments on Title of a1"
    assert parsed.feed.link == "https://news.example/a1?x=1&y=2"
    assert [e.author for e in parsed.entries] == ["Cy", "Ben", "Ann"]
    assert [e.link for e in parsed.entries] == [
        f"https://news.example/a1?x=1&y=2#comment-{c['id']}" for c in (reply, second, first)]
    assert [e.id for e in parsed.entries] == [
        f"http://localhost/api/v1/sites/news/comments/{c['id']}"
        for c in (reply, second, first)]
    assert parsed.entries[0].content[0].type == "text/html"
    raw = response.get_data(as_text=True)
    assert "private.example" not in raw
    assert "elsewhere" not in raw


def test_site_feed_lists_the_newest_comments_across_articles(api: Api) -> None:
    made = [post(api, f"body {n}", article=f"a{n % 2}", author_name=f"R{n}") for n in range(4)]
    response = site_feed(api)
    valid_atom(response)
    parsed = feedparser.parse(response.get_data())
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.feed.title == "Comments on News"
    assert [e.author for e in parsed.entries] == ["R3", "R2", "R1", "R0"]
    assert [e.title for e in parsed.entries] == [
        "Comment by R3 on Title of a1", "Comment by R2 on Title of a0",
        "Comment by R1 on Title of a1", "Comment by R0 on Title of a0"]
    assert [e.link.rsplit("#", 1)[1] for e in parsed.entries] == [
        f"comment-{c['id']}" for c in reversed(made)]


def test_hostile_names_and_bodies_are_escaped_and_content_is_the_widgets_html(
        api: Api) -> None:
    comment = post(api, HOSTILE_BODY, author_name=HOSTILE_NAME, title="<i>T</i> & co")
    for response in (article_feed(api), site_feed(api)):
        root = valid_atom(response)
        entry = root.find(f"{ATOM}entry")
        # The entry's HTML is the sanitized body the widget shows, carried as text.
        assert entry.find(f"{ATOM}content").text == comment["body_html"]
        assert entry.find(f"{ATOM}content").get("type") == "html"
        name = entry.find(f"{ATOM}author/{ATOM}name").text
        assert name == comment["author"]["name"].replace("\ufffe", "")
        assert "<script>" in name  # text, not markup: escaped in the XML
        raw = response.get_data(as_text=True)
        assert "<script" not in raw
        parsed = feedparser.parse(response.get_data())
        assert not parsed.bozo, parsed.bozo_exception
        assert parsed.entries[0].author == name.strip()  # feedparser trims
        assert "<strong>bold</strong>" in parsed.entries[0].content[0].value
    assert feedparser.parse(article_feed(api).get_data()).feed.title == (
        "Comments on <i>T</i> & co")


def test_revalidation_gets_a_304_until_the_feed_changes(api: Api) -> None:
    post(api, "one")
    for fetch in (article_feed, site_feed):
        first = fetch(api)
        etag = first.headers["ETag"]
        assert first.headers["Last-Modified"]
        again = fetch(api, headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.headers["ETag"] == etag
        assert again.get_data() == b""
    post(api, "two")
    for fetch in (article_feed, site_feed):
        stale = fetch(api, headers={"If-None-Match": first.headers["ETag"]})
        assert stale.status_code == 200


def test_feeds_go_compressed_to_clients_that_accept_it_and_revalidate_so(api: Api) -> None:
    """As thread pages: gzip/Brotli with their own ETag, Vary: Accept-Encoding, and a 304
    for the ETag of the encoding the client holds."""
    import gzip

    for n in range(12):
        post(api, f"comment number {n} with enough words to make the feed worth compressing")
    for fetch in (article_feed, site_feed):
        plain = fetch(api)
        zipped = fetch(api, headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in zipped.headers["Vary"]
        assert gzip.decompress(zipped.get_data()) == plain.get_data()
        assert zipped.headers["ETag"] != plain.headers["ETag"]
        again = fetch(api, headers={"Accept-Encoding": "gzip",
                                    "If-None-Match": zipped.headers["ETag"]})
        assert again.status_code == 304


def test_an_unchanged_feed_costs_one_freshness_query_and_no_entries_query(api: Api) -> None:
    post(api, "one")
    post(api, "two", article="a2")
    for fetch in (article_feed, site_feed):
        first = fetch(api)
        with count_queries(api.client.application) as revalidated:
            assert fetch(api, headers={"If-None-Match": first.headers["ETag"]}
                         ).status_code == 304
        with count_queries(api.client.application) as served_again:
            again = fetch(api)
        assert again.get_data() == first.get_data()
        # The site row comes from the per-process cache: only the thread's version (or
        # the site's sum of versions) is read; the built feed is kept for that version.
        assert len(revalidated) == 1, revalidated
        assert len(served_again) == 1, served_again


def test_a_write_to_another_article_renews_only_the_site_feed(api: Api) -> None:
    post(api, "one")
    article_etag = article_feed(api).headers["ETag"]
    site_etag = site_feed(api).headers["ETag"]
    post(api, "two", article="a2")
    assert article_feed(api, headers={"If-None-Match": article_etag}).status_code == 304
    assert site_feed(api, headers={"If-None-Match": site_etag}).status_code == 200


def test_a_hidden_or_deleted_comment_leaves_both_feeds_at_once(
        api: Api, moderator: ModeratorLogin) -> None:
    kept = post(api, "kept")
    hidden = post(api, "to hide")
    deleted = post(api, "to delete")
    etags = {fetch: fetch(api).headers["ETag"] for fetch in (article_feed, site_feed)}
    for comment, action in ((hidden, "hide"), (deleted, "delete")):
        response = api.client.post(f"/api/v1/moderation/comments/{comment['id']}/{action}",
                                   headers=moderator.headers, json={})
        assert response.status_code == 200, response.get_json()
    for fetch, etag in etags.items():
        response = fetch(api, headers={"If-None-Match": etag})
        valid_atom(response)
        parsed = feedparser.parse(response.get_data())
        assert [e.id.rsplit("/", 1)[1] for e in parsed.entries] == [str(kept["id"])]


def test_pending_comments_stay_out_of_the_feeds(api: Api, moderator: ModeratorLogin) -> None:
    api.client.patch("/api/v1/moderation/sites/news/settings", headers=moderator.headers,
                     json={"premoderation": True})
    assert api.post("wait", "a1").status_code == 202
    for fetch in (article_feed, site_feed):
        assert feedparser.parse(fetch(api).get_data()).entries == []


def test_feeds_hold_at_most_the_configured_number_of_entries(make_app, site_factory) -> None:
    api = site_factory(make_app(feeds={"article_entries": 2, "site_entries": 3}))
    made = [post(api, f"n{n}", article=f"a{n % 2 + 1}") for n in range(6)]
    article = feedparser.parse(article_feed(api).get_data())
    assert [e.content[0].value for e in article.entries] == ["<p>n4</p>", "<p>n2</p>"]
    site = feedparser.parse(site_feed(api).get_data())
    assert [e.id.rsplit("/", 1)[1] for e in site.entries] == [
        str(c["id"]) for c in made[:2:-1]]


def test_an_article_without_comments_has_an_empty_valid_feed(api: Api) -> None:
    root = valid_atom(article_feed(api, "no-thread-yet"))
    assert root.findall(f"{ATOM}entry") == []
    assert root.find(f"{ATOM}title").text == "Comments on no-thread-yet"


@pytest.mark.parametrize(
    ("path", "query", "status", "code"),
    [
        ("/api/v1/sites/news/thread/feed.atom", {}, 400, "bad_request"),
        ("/api/v1/sites/news/thread/feed.atom", {"article": ""}, 400, "bad_request"),
        ("/api/v1/sites/news/thread/feed.atom", {"article": "a", "x": "1"}, 400,
         "bad_request"),
        ("/api/v1/sites/nope/thread/feed.atom", {"article": "a"}, 404, "site_not_found"),
        ("/api/v1/sites/nope/feed.atom", {}, 404, "site_not_found"),
    ],
)
def test_bad_feed_requests_are_4xx_in_the_error_shape(api: Api, path, query, status,
                                                      code) -> None:
    assert_error(api.client.get(path, query_string=query), status, code)


def test_feeds_switched_off_answer_404(make_app, site_factory) -> None:
    api = site_factory(make_app(feeds={"enabled": False}))
    assert_error(site_feed(api), 404, "feeds_disabled")
    assert_error(article_feed(api), 404, "feeds_disabled")
    assert api.client.get("/api/v1/sites/news/config").get_json()["feeds"] is False
