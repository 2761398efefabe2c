"""importers/isso.py on a database written by Isso 0.14.0 itself (data/isso_real.md),
read back through the API as the widget reads it."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

from comments_service.importers.isso import read_isso
from tests.importers.conftest import DATA, run_import

HELLO = "/2024/01/hello-isso/"
UNICODE = "/2024/02/ünïcode/"


def page(client, article):
    response = client.get("/api/v1/sites/news/thread", query_string={"article": article})
    assert response.status_code == 200
    return response.get_json()


def shape(comment):
    return (comment["author"] and comment["author"]["name"], comment["status"],
            [shape(reply) for reply in comment["replies"]])


def test_every_approved_comment_reads_back_with_nesting_names_and_paragraphs(
    app, client, session, site_row
):
    report = run_import(app, session, site_row, read_isso(DATA / "isso_real.db"))
    assert (report.comments_imported, report.skipped) == (7, [])
    body = page(client, HELLO)
    assert body["thread"]["title"] == "Hello Isso"
    assert [shape(c) for c in body["comments"]] == [
        ("Tom & Jerry", "visible", [
            ('What\u2019s "quoted" <name>', "visible", []),
            ("O'Brien", "visible", []),
        ]),
        (None, "deleted", [("Answerer", "visible", [])]),
    ]
    tom = body["comments"][0]
    assert tom["author"]["website"] == "https://tom.example/?a=1&b=2"
    assert tom["body_html"] == (
        "<p>Hello <em>world</em>!</p>\n<p>A second paragraph,<br>\nwith a line break.</p>")
    assert tom["replies"][0]["body_html"] == (
        "<p><strong>Bold</strong>, <em>italic</em>, <code>code()</code> and "
        '<a href="https://example.org/page" rel="nofollow ugc noopener">a link</a>.</p>\n'
        "<blockquote>a quote</blockquote>")
    assert "<script>" not in tom["replies"][1]["body_html"]
    created = datetime.fromisoformat(tom["created_at"].replace("Z", "+00:00"))
    assert created.tzinfo is not None
    assert created < datetime.fromisoformat(tom["replies"][0]["created_at"].replace("Z", "+00:00"))
    assert body["thread"]["visible_count"] == 4  # the pending one is not shown
    zoe = page(client, UNICODE)["comments"][0]
    assert zoe["author"]["name"] == "Zoë"
    assert "<pre><code>code block\n  indented\n</code></pre>" in zoe["body_html"]
    assert created == datetime(2026, 12, 2, 8, 6, 44, 601096, tzinfo=UTC)


def test_two_isso_databases_into_one_site_keep_both(app, session, site_row, tmp_path):
    first = run_import(app, session, site_row, read_isso(DATA / "isso_real.db"))
    copy = tmp_path / "other.db"
    shutil.copy(DATA / "isso_real.db", copy)
    # Same ids, same uris, another install: told apart only by --source.
    second = run_import(app, session, site_row, read_isso(copy, source_label="second blog"))
    assert (second.comments_imported, second.already_present) == (first.comments_imported, 0)
    again = run_import(app, session, site_row, read_isso(DATA / "isso_real.db"))
    assert (again.comments_imported, again.already_present) == (0, 7)
