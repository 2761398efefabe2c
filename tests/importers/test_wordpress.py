"""importers/wordpress.py through the loader: a WXR export, and a flawed one."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from comments_service.importers import wordpress
from comments_service.importers.records import KeyFrom
from comments_service.importers.wordpress import paragraphs, read_wordpress
from comments_service.models import Thread
from tests.importers.conftest import (
    DATA,
    article_keys,
    assert_tree_consistent,
    by_key,
    run_import,
    thread_rows,
)

POST = "/?p=12"
PAGE = "/ueber-uns/"


def wp(number: int) -> str:
    """The import key of comment ``number`` of the fixture's blog, https://wp.example."""
    return f"wordpress:wp.example:{number}"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def import_wxr(app, session, site, name="wordpress.xml", key_from=KeyFrom.URL_PATH):
    with (DATA / name).open("rb") as source:
        return run_import(app, session, site, read_wordpress(source, key_from))


def test_posts_with_comments_become_threads_keyed_by_path_and_query(app, session, site_row):
    report = import_wxr(app, session, site_row)
    assert article_keys(session, site_row) == {POST, PAGE}  # not the attachment
    assert report.threads_created == 2
    threads = {t.article_key: t for t in session.scalars(select(Thread))}
    assert threads[POST].title == "Hello WordPress"
    assert threads[POST].url == "https://wp.example/?p=12"
    assert threads[POST].created_at == at("2023-03-01 09:00:00")
    assert threads[PAGE].title == "Über uns"
    assert threads[PAGE].is_locked
    assert not threads[POST].is_locked


def test_post_keeps_nesting_authors_gmt_dates_and_statuses(app, session, site_row):
    import_wxr(app, session, site_row)
    rows = thread_rows(session, site_row, POST)
    assert [(r.key, r.depth, r.parent, r.status, r.author_name, r.created_at) for r in rows] == [
        (wp(101), 0, None, "visible", "Ann Example", at("2023-03-01 10:15:00")),
        (wp(102), 1, wp(101), "visible", "Mallory", at("2023-03-01 11:00:00")),
        (wp(103), 0, None, "pending", "Patient Pat", at("2023-03-02 07:00:00")),
        (wp(104), 0, None, "hidden", "Casino", at("2023-03-02 08:00:00")),
        (wp(105), 0, None, "deleted", None, at("2023-03-03 07:00:00")),
        (wp(106), 1, wp(105), "visible", "Answerer", at("2023-03-03 08:30:00")),
    ]
    page = thread_rows(session, site_row, PAGE)
    assert [(r.key, r.depth, r.parent, r.author_name) for r in page] == [
        (wp(201), 0, None, "Jürgen Groß"),
        (wp(202), 1, wp(201), "admin"),
    ]


def test_line_breaks_become_paragraphs_and_hostile_html_is_dropped(app, session, site_row):
    import_wxr(app, session, site_row)
    rows = by_key(thread_rows(session, site_row, POST) + thread_rows(session, site_row, PAGE))
    assert rows[wp(101)].body_html == (
        "<p>First line<br>second line</p>"
        "<p>A new paragraph with <strong>bold</strong> &amp; <em>style</em>.</p>"
    )
    assert rows[wp(102)].body_html == "<p>Nice link <strong>!</strong></p>"
    assert rows[wp(201)].body_html == (
        "<p>Schöne Grüße aus Köln! Ελληνικά και русский текст.</p>")
    assert rows[wp(202)].body_html == (
        "<blockquote><p>Schöne Grüße</p></blockquote><p>Danke!</p>")


def test_bad_email_and_website_are_left_out_and_counted(app, session, site_row):
    report = import_wxr(app, session, site_row)
    rows = by_key(thread_rows(session, site_row, POST) + thread_rows(session, site_row, PAGE))
    mallory = rows[wp(102)]
    assert (mallory.author_email, mallory.author_website) == (None, None)
    assert (report.emails_dropped, report.websites_dropped) == (1, 1)
    assert rows[wp(101)].author_website == "https://ann.wp.example"
    assert rows[wp(106)].author_website == "https://answerer.example"
    assert rows[wp(201)].author_email == "Juergen@wp.example"  # domain normalized


def test_pingbacks_and_trashed_comments_without_replies_are_skipped(app, session, site_row):
    report = import_wxr(app, session, site_row)
    assert sorted((s.source_id, s.reason) for s in report.skipped) == [
        ("107", "a pingback, not a reader's comment"),
        ("203", "deleted, with no replies to hold"),
    ]
    assert report.imported_by_status == {"visible": 5, "pending": 1, "hidden": 1, "deleted": 1}
    assert_tree_consistent(session)


def test_second_import_adds_nothing(app, session, site_row):
    import_wxr(app, session, site_row)
    before = thread_rows(session, site_row, POST)
    again = import_wxr(app, session, site_row)
    assert (again.comments_imported, again.already_present, again.threads_created) == (0, 8, 0)
    assert thread_rows(session, site_row, POST) == before


def test_key_from_identifier_uses_the_post_id(app, session, site_row):
    import_wxr(app, session, site_row, key_from=KeyFrom.IDENTIFIER)
    assert article_keys(session, site_row) == {"12", "40"}


def test_flawed_export_imports_the_rest_and_reports_every_skip(app, session, site_row):
    report = import_wxr(app, session, site_row, "wordpress_flawed.xml")
    assert [r.key for r in thread_rows(session, site_row, "/flawed/")] == ["wordpress:1"]
    assert sorted((s.source_id, s.reason) for s in report.skipped) == [
        ("1", "duplicate id (first kept)"),
        ("2", "bad date '0000-00-00 00:00:00'"),
        ("3", "missing parent 99"),
        ("4", "unknown comment_approved 'maybe'"),
    ]


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("one line", "<p>one line</p>"),
        ("a\nb\n\nc", "<p>a<br>b</p><p>c</p>"),
        ("a\r\n \r\nb", "<p>a</p><p>b</p>"),
        ("<p>already</p>\n<p>html\nbroken</p>", "<p>already</p><p>html<br>broken</p>"),
        ("<blockquote>quote</blockquote>\nreply",
         "<blockquote><p>quote</p></blockquote><p>reply</p>"),
        ("<ul><li>one\ntwo</li></ul>", "<ul><li>one<br>two</li></ul>"),
        ("<pre>keep\n\nthis</pre>", "<pre>keep\n\nthis</pre>"),
        ("", ""),
    ],
)
def test_paragraphs_follow_wordpress_line_breaks(text, html):
    assert paragraphs(text) == html


def _strptime_or_error(text: str) -> datetime | str:
    try:
        return datetime.strptime(text, wordpress.GMT_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return "error"


def _parsed_or_error(text: str) -> datetime | str:
    try:
        return wordpress._parse_gmt(text)
    except ValueError:
        return "error"


def test_comment_dates_read_as_strptime_reads_them():
    """The shortcut for dates as WordPress writes them gives strptime's answer, on valid
    and invalid days, hours, minutes and seconds, and leaves other forms to strptime."""
    rng = random.Random(8)
    texts = ["2020-02-29 23:59:59", "2021-02-29 10:00:00", "2020-04-31 10:00:00",
             "2020-01-01 24:00:00", "2020-01-01 10:60:00", "2020-01-01 10:00:60",
             "2020-1-1 1:2:3", "2020-01-01T10:00:00", "2020-01-01 10:00:00+02:00",
             "2020-01-01", " 2020-01-01 10:00:00", "0000-01-01 00:00:00",
             "\uff12\uff10\uff12\uff10-01-01 10:00:00"]
    for _ in range(3000):
        texts.append(f"{rng.randint(0, 9999):04d}-{rng.randint(0, 13):02d}-"
                     f"{rng.randint(0, 32):02d} {rng.randint(0, 25):02d}:"
                     f"{rng.randint(0, 61):02d}:{rng.randint(0, 61):02d}")
    for text in texts:
        assert _parsed_or_error(text) == _strptime_or_error(text), text
