"""importers/commento.py through the loader: a data export in the shape Commento mails
(data/commento_export.json, gzipped here as Commento ships it)."""

from __future__ import annotations

import gzip
import io
from datetime import UTC, datetime

import pytest

from comments_service.importers.commento import read_commento
from comments_service.importers.records import ImportFileError
from tests.importers.conftest import (
    DATA,
    article_keys,
    assert_tree_consistent,
    run_import,
    thread_rows,
)

HELLO = "/blog/hello/"


def ck(number: int, source: str = "commento.example") -> str:
    return f"commento:{source}:{number:064x}"


def export(gzipped: bool = True) -> io.BytesIO:
    data = (DATA / "commento_export.json").read_bytes()
    return io.BytesIO(gzip.compress(data) if gzipped else data)


@pytest.mark.parametrize("gzipped", [True, False])
def test_export_arrives_with_nesting_people_and_states(app, session, site_row, gzipped):
    report = run_import(app, session, site_row, read_commento(export(gzipped)))
    assert article_keys(session, site_row) == {HELLO, "/"}
    rows = thread_rows(session, site_row, HELLO)
    assert [(r.key, r.depth, r.parent, r.status, r.author_name) for r in rows] == [
        (ck(1), 0, None, "visible", "Carol & Dave"),
        (ck(2), 1, ck(1), "visible", "Eve"),
        (ck(3), 2, ck(2), "visible", "Anonymous"),
        (ck(4), 0, None, "deleted", None),
        (ck(5), 1, ck(4), "visible", "Eve"),
        (ck(6), 0, None, "pending", "Anonymous"),
        (ck(7), 0, None, "hidden", "Anonymous"),
    ]
    carol, eve = rows[0], rows[1]
    assert (carol.author_email, carol.author_website) == (
        "carol@commento.example", "https://carol.example")
    assert eve.author_website is None  # Commento's "undefined"
    assert carol.created_at == datetime(2021, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
    assert carol.score == 2
    assert carol.body_html == "<p>Hello <strong>Commento</strong></p>\n<p>Second paragraph</p>"
    # Commento never rendered raw HTML (blackfriday's HTML_SKIP_HTML): it stays text.
    assert eve.body_html == "<p>A reply with &lt;b&gt;raw html&lt;/b&gt; shown as text</p>"
    assert report.skipped == []
    assert_tree_consistent(session)


def test_second_import_adds_nothing_and_another_domain_adds_all(app, session, site_row):
    first = run_import(app, session, site_row, read_commento(export()))
    again = run_import(app, session, site_row, read_commento(export()))
    assert (again.comments_imported, again.already_present) == (0, first.comments_imported)
    text = (DATA / "commento_export.json").read_text(encoding="utf-8")
    other = text.replace("commento.example", "other.example").encode()
    more = run_import(app, session, site_row, read_commento(io.BytesIO(other)))
    assert more.comments_imported == first.comments_imported
    assert ck(1, "other.example") in {r.key for r in thread_rows(session, site_row, HELLO)}


def test_a_file_that_is_not_a_commento_export_is_refused():
    with pytest.raises(ImportFileError, match="not a Commento export: not"):
        list(read_commento(io.BytesIO(b"<xml/>")))
    with pytest.raises(ImportFileError, match="no list of comments"):
        list(read_commento(io.BytesIO(b'{"version": 1}')))
