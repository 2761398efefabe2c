"""The benchmark's data: written in bulk, yet what posting.py would have stored."""

from __future__ import annotations

import random
import sqlite3
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from benchmarks import seed
from comments_service import create_app, sanitize


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "ours.db"
    report = seed.seed(seed.TINY, [seed.OurSqliteSink(path)])
    assert report.comments == (sum(seed.TINY.thread_sizes) + seed.TINY.widget_comments
                               + seed.TINY.posting_comments + seed.TINY.count_comments)
    return path


@pytest.fixture
def client(seeded: Path, tmp_path: Path) -> FlaskClient:
    app = create_app(
        {"database": {"url": f"sqlite:///{seeded}"},
         "security": {"secret_key": "test-secret-key-not-for-production"},
         "limits": {"enabled": False}},
        instance_path=tmp_path / "instance",
    )
    return app.test_client()


def _rows(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


def test_counters_match_the_rows_they_count(seeded: Path) -> None:
    comments = _rows(seeded, "SELECT id, thread_id, parent_id, root_id, depth, path, "
                             "child_count, reply_count FROM comments")
    children = Counter(c[2] for c in comments if c[2] is not None)
    descendants = Counter(c[3] for c in comments if c[4] > 0)
    for ident, _, parent, root, depth, path, child_count, reply_count in comments:
        segments = path.split(".")
        assert int(segments[-1]) == ident
        assert int(segments[0]) == root
        assert depth == len(segments) - 1 <= seed.TINY.max_depth
        assert parent == (int(segments[-2]) if depth else None)
        assert child_count == children[ident]
        assert reply_count == (descendants[ident] if depth == 0 else 0)
    per_thread = Counter(c[1] for c in comments)
    for thread_id, total, visible in _rows(seeded, "SELECT id, total_count, visible_count "
                                                   "FROM threads"):
        assert total == visible == per_thread[thread_id]


def test_a_third_are_replies_and_some_reach_the_depth_cap(seeded: Path) -> None:
    ((replies, total),) = _rows(seeded, "SELECT sum(depth > 0), count(*) FROM comments "
                                        "WHERE thread_id = 2")
    assert replies == total // 3
    deep = seed.build_comments(random.Random(1), 1, 1, 3000, seed.BASE_TIME, timedelta(0),
                               [seed.Body("x", "<p>x</p>")], 4)
    assert max(c.depth for c in deep) == 4


def test_bodies_are_what_the_sanitizer_makes_of_them(seeded: Path) -> None:
    rows = _rows(seeded, "SELECT body_markdown, body_html FROM comments LIMIT 40")
    assert any("](" in markdown or "https://" in markdown for markdown, _ in rows)
    for markdown, html in rows:
        assert html == sanitize.render(markdown)


def test_the_service_reads_the_seeded_threads(client: FlaskClient) -> None:
    for size in seed.TINY.thread_sizes:
        page = client.get(f"/api/v1/sites/{seed.THREADS_SITE}/thread",
                          query_string={"article": seed.thread_article(size)}).get_json()
        assert page["thread"]["total_count"] == size
        assert page["comments"][0]["id"] == seed.root_comment_id(seed.TINY,
                                                                 seed.thread_article(size))
        shown = [c["created_at"] for c in page["comments"]]
        assert shown == sorted(shown)


def test_the_service_counts_the_seeded_articles(client: FlaskClient, seeded: Path) -> None:
    keys = [seed.count_article(i) for i in range(seed.TINY.count_articles)]
    counts = client.get(f"/api/v1/sites/{seed.COUNTS_SITE}/counts",
                        query_string={"article": keys}).get_json()["counts"]
    assert sum(counts.values()) == seed.TINY.count_comments
    stored = dict(_rows(seeded, "SELECT article_key, visible_count FROM threads "
                                "WHERE site_id = 2"))
    assert counts == {key: stored.get(key, 0) for key in keys}


def test_posting_after_seeding_continues_the_ids(client: FlaskClient) -> None:
    response = client.post(f"/api/v1/sites/{seed.THREADS_SITE}/comments",
                           json={"article": seed.POSTING_ARTICLE, "body": "After seeding",
                                 "parent_id": seed.root_comment_id(seed.TINY,
                                                                   seed.POSTING_ARTICLE)})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["comment"]["depth"] == 1


def test_widget_thread_carries_the_marker_in_every_body(seeded: Path) -> None:
    with sqlite3.connect(seeded) as db:
        rows = db.execute("SELECT c.body_html FROM comments c JOIN threads t "
                          "ON t.id = c.thread_id WHERE t.article_key = ?",
                          (seed.WIDGET_ARTICLE,)).fetchall()
    assert len(rows) == seed.TINY.widget_comments
    assert all(seed.WIDGET_MARKER in html for (html,) in rows)


def test_isso_gets_the_same_comments_with_replies_under_their_root() -> None:
    thread = next(seed.generate(seed.TINY))
    rows = [seed.isso_comment_row(c) for c in thread.comments]
    assert [r[1] for r in rows] == [c.id for c in thread.comments]
    for row, comment in zip(rows, thread.comments, strict=True):
        tid, _, parent, created, _, mode, _, text, author, *_ = row
        assert (tid, mode, text, author) == (comment.thread_id, 1, comment.body_markdown,
                                             comment.author_name)
        assert parent == (comment.root_id if comment.depth else None)
        assert created == comment.created_at.timestamp()
    assert seed.isso_thread_row(thread) == (thread.id, thread.article_key, thread.title)


def test_seeding_in_parallel_writes_the_same_rows(tmp_path: Path) -> None:
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    report = seed.seed_in_parallel(seed.TINY, [[seed.OurSqliteSink(first)],
                                               [seed.OurSqliteSink(second)]])
    assert report.comments == _rows(first, "SELECT count(*) FROM comments")[0][0]
    query = "SELECT * FROM comments ORDER BY id"
    assert _rows(first, query) == _rows(second, query)
