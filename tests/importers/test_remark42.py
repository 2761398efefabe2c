"""importers/remark42.py through the loader: a backup in the shape `remark42 backup`
writes (data/remark42_backup.json, gzipped here as Remark42 ships it)."""

from __future__ import annotations

import gzip
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from comments_service.importers.records import ImportFileError, KeyFrom
from comments_service.importers.remark42 import read_remark42
from comments_service.models import Thread
from tests.importers.conftest import (
    DATA,
    article_keys,
    assert_tree_consistent,
    run_import,
    thread_rows,
)

FIRST = "/posts/first/"


def rk(number: int, source: str = "remark") -> str:
    return f"remark42:{source}:6b5f1c4e-0000-4000-8000-{number:012d}"


def backup(gzipped: bool = True) -> io.BytesIO:
    data = (DATA / "remark42_backup.json").read_bytes()
    return io.BytesIO(gzip.compress(data) if gzipped else data)


@pytest.mark.parametrize("gzipped", [True, False])
def test_backup_arrives_with_nesting_names_emails_and_statuses(
    app, session, site_row, gzipped
):
    report = run_import(app, session, site_row, read_remark42(backup(gzipped)))
    assert article_keys(session, site_row) == {FIRST, "/posts/closed/"}
    rows = thread_rows(session, site_row, FIRST)
    assert [(r.key, r.depth, r.parent, r.status, r.author_name) for r in rows] == [
        (rk(1), 0, None, "visible", "Ann & Co"),
        (rk(2), 1, rk(1), "visible", 'Bob "the builder"'),
        (rk(3), 2, rk(2), "visible", "Ann & Co"),
        (rk(4), 0, None, "deleted", None),
        (rk(5), 1, rk(4), "visible", "Ann & Co"),
        (rk(6), 0, None, "hidden", "Blocked One"),
    ]
    ann = rows[0]
    assert ann.author_email == "ann@remark.example"  # from the meta's user details
    assert ann.created_at == datetime(2023, 5, 1, 8, 0, 0, 123456, tzinfo=UTC)
    assert ann.edited_at == datetime(2023, 5, 1, 10, 5, tzinfo=UTC)
    assert ann.score == 3
    assert ann.body_markdown == "Hello **world**,\na second line.\n\nA new paragraph with `code`."
    assert ann.body_html == (
        "<p>Hello <strong>world</strong>,<br>a second line.</p>\n\n"
        "<p>A new paragraph with <code>code</code>.</p>")
    assert rows[1].body_html == (
        '<p>Reply with <a href="https://example.org" rel="nofollow ugc noopener">a link</a></p>')
    assert report.skipped == []
    assert_tree_consistent(session)


def test_titles_are_decoded_and_read_only_posts_are_locked(app, session, site_row):
    run_import(app, session, site_row, read_remark42(backup()))
    threads = {t.article_key: t for t in session.scalars(select(Thread))}
    assert threads[FIRST].title == "First & foremost"
    assert threads[FIRST].url == "https://remark.example/posts/first/"
    assert threads["/posts/closed/"].is_locked
    assert not threads[FIRST].is_locked


def test_second_import_adds_nothing_and_another_source_adds_all(app, session, site_row):
    first = run_import(app, session, site_row, read_remark42(backup()))
    again = run_import(app, session, site_row, read_remark42(backup()))
    assert (again.comments_imported, again.already_present) == (0, first.comments_imported)
    other = run_import(app, session, site_row, read_remark42(backup(), source_label="mirror"))
    assert other.comments_imported == first.comments_imported
    assert rk(1, "mirror") in {r.key for r in thread_rows(session, site_row, FIRST)}


def test_key_from_url_keeps_the_whole_url(app, session, site_row):
    run_import(app, session, site_row, read_remark42(backup(), KeyFrom.URL))
    assert "https://remark.example/posts/first/" in article_keys(session, site_row)


def test_a_file_that_is_not_a_backup_is_refused():
    with pytest.raises(ImportFileError, match="not a Remark42 backup"):
        list(read_remark42(io.BytesIO(b"<xml/>\n")))
    with pytest.raises(ImportFileError, match="not a Remark42 backup: the file is empty"):
        list(read_remark42(io.BytesIO(gzip.compress(b""))))
    with pytest.raises(ImportFileError, match="version 7"):
        list(read_remark42(io.BytesIO(b'{"version": 7, "users": [], "posts": []}\n')))


def test_a_broken_line_is_skipped_and_named(app, session, site_row):
    data = (DATA / "remark42_backup.json").read_bytes() + b"{not json\n"
    report = run_import(app, session, site_row, read_remark42(io.BytesIO(data)))
    assert [(s.source_id, s.reason) for s in report.skipped] == [("line 9", "not a JSON comment")]
