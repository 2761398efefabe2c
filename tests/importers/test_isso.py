"""importers/isso.py through the loader: an Isso database built from hand-written SQL."""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from datetime import UTC, datetime

import pytest

from comments_service import sanitize
from comments_service.importers.isso import read_isso
from comments_service.importers.records import ImportFileError, KeyFrom
from tests.importers.conftest import (
    article_keys,
    assert_tree_consistent,
    by_key,
    isso_database,
    run_import,
    thread_rows,
)

HELLO = "/posts/hello-isso/"
UNICODE = "/posts/ünïcode/?lang=fr"


def ik(number: int) -> str:
    """The import key of Isso comment ``number``: the source is the hashed session-key."""
    return f"isso:isso-fa77d7bdb2ae64fb:{number}"


def at(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def test_threads_are_keyed_by_uri_and_keep_titles(app, session, site_row, tmp_path):
    report = run_import(app, session, site_row, read_isso(isso_database(tmp_path)))
    assert article_keys(session, site_row) == {HELLO, UNICODE}  # not the silent thread
    assert report.threads_created == 2


def test_comments_keep_nesting_authors_dates_votes_and_modes(app, session, site_row, tmp_path):
    run_import(app, session, site_row, read_isso(isso_database(tmp_path)))
    rows = thread_rows(session, site_row, HELLO)
    assert [(r.key, r.depth, r.parent, r.status, r.author_name) for r in rows] == [
        (ik(1), 0, None, "visible", "Ann"),
        (ik(2), 1, ik(1), "visible", "Bob"),
        (ik(3), 0, None, "pending", "Queued"),
        (ik(4), 0, None, "deleted", None),
        (ik(5), 1, ik(4), "visible", "Carla"),
    ]
    assert [(r.created_at, r.edited_at, r.score) for r in rows] == [
        (at(1622548800.0), None, 2),
        (at(1622549100.25), at(1622549400.5), 0),
        (at(1622552400.0), None, 0),
        (at(1622556000.0), None, 0),
        (at(1622556600.0), None, -2),
    ]
    ann, bob = rows[0], rows[1]
    assert (ann.author_email, ann.author_website) == ("ann@isso.example", "https://ann.isso.example")
    assert bob.author_website == "https://bob.example"
    assert_tree_consistent(session)


def test_markdown_is_rendered_like_a_new_comment_and_script_is_dropped(
    app, session, site_row, tmp_path
):
    run_import(app, session, site_row, read_isso(isso_database(tmp_path)))
    rows = by_key(thread_rows(session, site_row, HELLO) + thread_rows(session, site_row, UNICODE))
    ann, bob, zoe = rows[ik(1)], rows[ik(2)], rows[ik(6)]
    assert ann.body_markdown == "Hello *world*, see https://isso.example/docs\nsecond line"
    assert ann.body_html == sanitize.render_imported(ann.body_markdown)
    assert "<em>world</em>" in ann.body_html
    assert '<a href="https://isso.example/docs" rel="nofollow ugc noopener">' in ann.body_html
    assert "<script>" not in bob.body_html
    assert bob.body_html.startswith("<p>Raw  stays text")  # the script's code dropped too
    assert "[bad](javascript:alert(1))" in bob.body_html  # a refused link stays its text
    assert "href=\"javascript" not in bob.body_html
    assert zoe.body_html == (
        "<p>Ça marche très bien — 中文 🎉</p>\n<blockquote>\n<p>quoted <strong>bold</strong>"
        "</p>\n</blockquote>"
    )


def test_deleted_comment_without_reply_is_skipped_and_the_one_with_a_reply_kept(
    app, session, site_row, tmp_path
):
    report = run_import(app, session, site_row, read_isso(isso_database(tmp_path)))
    assert [(s.source_id, s.reason) for s in report.skipped] == [
        ("7", "deleted, with no replies to hold")
    ]
    assert [r.key for r in thread_rows(session, site_row, UNICODE)] == [ik(6)]


def test_second_import_adds_nothing_and_the_isso_file_is_not_changed(
    app, session, site_row, tmp_path
):
    path = isso_database(tmp_path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    run_import(app, session, site_row, read_isso(path))
    before = thread_rows(session, site_row, HELLO)
    again = run_import(app, session, site_row, read_isso(path))
    assert (again.comments_imported, again.already_present) == (0, 6)
    assert thread_rows(session, site_row, HELLO) == before
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


def test_key_from_identifier_takes_the_uri_as_it_is(app, session, site_row, tmp_path):
    run_import(app, session, site_row, read_isso(isso_database(tmp_path), KeyFrom.IDENTIFIER))
    assert article_keys(session, site_row) == {HELLO, UNICODE}


def test_flawed_rows_are_skipped_with_their_reasons(app, session, site_row, tmp_path):
    path = isso_database(tmp_path, "isso_flawed.sql")
    report = run_import(app, session, site_row, read_isso(path))
    assert [r.key for r in thread_rows(session, site_row, "/flawed/")] == ["isso:1"]
    assert sorted((s.source_id, s.reason) for s in report.skipped) == [
        ("2", "unknown mode 8"),
        ("3", "missing parent 42"),
        ("4", "bad date 'yesterday'"),
    ]


def test_a_file_that_is_not_an_isso_database_is_refused(tmp_path):
    text = tmp_path / "notes.db"
    text.write_text("not a database at all, just some text long enough to be read")
    with pytest.raises(ImportFileError, match="not a readable Isso database"):
        list(read_isso(text))
    empty = tmp_path / "empty.db"
    with closing(sqlite3.connect(empty)) as connection:
        connection.execute("CREATE TABLE other (x)")
    with pytest.raises(ImportFileError, match="not an Isso database"):
        list(read_isso(empty))
