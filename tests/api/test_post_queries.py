"""The post path's statements: a fixed budget, and nothing read back after the commit."""

from __future__ import annotations

from tests.conftest import SITE_ORIGIN, count_queries

# site, ban check, duplicate check, thread, subscriptions; insert; path update; counters.
POST_STATEMENT_BUDGET = 8


def test_a_post_reads_nothing_back_after_its_commit(app, api) -> None:
    api.posted_id("First, so the thread and the site are known.")
    with count_queries(app) as statements:
        response = api.post("Second *post*.")
    assert response.status_code == 201
    assert response.get_json()["comment"]["body_html"] == "<p>Second <em>post</em>.</p>"
    flat = [" ".join(s.split()) for s in statements]
    # Neither the new comment nor the site is reloaded by primary key after the commit.
    assert not [s for s in flat if "WHERE comments.id = " in s and s.startswith("SELECT")]
    assert not [s for s in flat if "WHERE sites.id = " in s]
    assert sum(s.startswith("SELECT") and "FROM threads" in s for s in flat) == 1
    assert len(flat) <= POST_STATEMENT_BUDGET, flat


def test_a_browser_post_does_not_read_the_site_again_for_its_cors_headers(app, api) -> None:
    """With an Origin (every widget post), the CORS answer decided before the view is
    reused after it: the commit expired the site row, so asking again would reload it."""
    origin = {"Origin": SITE_ORIGIN}
    first = api.client.post("/api/v1/sites/news/comments",
                            json={"article": "a1", "body": "First"}, headers=origin)
    assert first.status_code == 201
    with count_queries(app) as statements:
        response = api.client.post("/api/v1/sites/news/comments",
                                   json={"article": "a1", "body": "Second"}, headers=origin)
    assert response.status_code == 201
    assert response.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN
    site_reads = [s for s in statements if " ".join(s.split()).startswith("SELECT sites.")]
    assert len(site_reads) == 1, statements


# A reply: the thread and its parent in one read, and the new path with the parent's and
# the root's counters in one UPDATE.
REPLY_STATEMENT_BUDGET = 8


def test_a_reply_reads_its_parent_with_its_thread_and_moves_counters_in_one_update(
    app, api
) -> None:
    root = api.posted_id("Root")
    child = api.posted_id("Child", parent_id=root)
    with count_queries(app) as statements:
        response = api.post("Grandchild", parent_id=child)
    assert response.status_code == 201
    flat = [" ".join(s.split()) for s in statements]
    assert not [s for s in flat if s.startswith("SELECT") and "WHERE comments.id = " in s]
    assert sum(s.startswith("UPDATE comments") for s in flat) == 1, flat
    assert len(flat) <= REPLY_STATEMENT_BUDGET, flat
    page = api.thread().get_json()
    top = page["comments"][0]
    assert top["id"] == root
    assert top["replies_total"] == 2
    assert [r["id"] for r in top["replies"]] == [child]
    assert top["replies"][0]["replies"][0]["body_html"] == "<p>Grandchild</p>"


def test_a_post_to_a_thread_nobody_follows_reads_no_subscribers(app, api) -> None:
    api.posted_id("First, so the thread exists.")
    with count_queries(app) as statements:
        response = api.post("Second")
    assert response.status_code == 201
    assert not [s for s in statements if "FROM subscriptions JOIN" in " ".join(s.split())]
