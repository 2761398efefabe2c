"""Each importer, then the thread read through the API as the widget reads it: every
approved comment shown, nested, with its author's name, date and paragraphs."""

from __future__ import annotations

import gzip
import io

from comments_service.importers.commento import read_commento
from comments_service.importers.remark42 import read_remark42
from comments_service.importers.wordpress import read_wordpress
from tests.importers.conftest import DATA, run_import


def page(client, article):
    response = client.get("/api/v1/sites/news/thread", query_string={"article": article})
    assert response.status_code == 200
    return response.get_json()["comments"]


def shape(comment):
    return (comment["author"] and comment["author"]["name"], comment["created_at"],
            [shape(reply) for reply in comment["replies"]])


def test_wordpress_com_export_reads_back_nested_with_names_dates_and_paragraphs(
    app, client, session, site_row
):
    with (DATA / "wordpress_com.xml").open("rb") as source:
        run_import(app, session, site_row, read_wordpress(source))
    comments = page(client, "/2024/01/10/hello-world/")
    assert [shape(c) for c in comments] == [
        ("Tom & Jerry", "2024-01-10T10:00:00Z", [
            ("What\u2019s \"up\"", "2024-01-10T11:00:00Z", [
                ("O'Brien", "2024-01-10T12:00:00Z", []),
            ]),
        ]),
        (("Sir " + "Reginald " * 10)[:64].strip(), "2024-01-10T13:00:00Z", []),  # the cap
    ]
    assert comments[0]["body_html"].startswith("<p>Code, as WordPress keeps it:</p><pre>")
    assert page(client, "/2024/01/11/protected/") == []  # held: moderators see it


def test_remark42_backup_reads_back(app, client, session, site_row):
    data = gzip.compress((DATA / "remark42_backup.json").read_bytes())
    run_import(app, session, site_row, read_remark42(io.BytesIO(data)))
    comments = page(client, "/posts/first/")
    assert [shape(c) for c in comments] == [
        ("Ann & Co", "2023-05-01T08:00:00.123456Z", [
            ('Bob "the builder"', "2023-05-01T09:30:00Z", [
                ("Ann & Co", "2023-05-01T09:45:00Z", []),
            ]),
        ]),
        (None, "2023-05-02T08:00:00Z", [("Ann & Co", "2023-05-02T09:00:00Z", [])]),
    ]
    assert "<p>A new paragraph with <code>code</code>.</p>" in comments[0]["body_html"]


def test_commento_export_reads_back(app, client, session, site_row):
    with (DATA / "commento_export.json").open("rb") as source:
        run_import(app, session, site_row, read_commento(source))
    comments = page(client, "/blog/hello/")
    assert [shape(c) for c in comments] == [
        ("Carol & Dave", "2021-03-04T05:06:07.123456Z", [
            ("Eve", "2021-03-04T06:00:00Z", [("Anonymous", "2021-03-04T07:00:00Z", [])]),
        ]),
        (None, "2021-03-05T07:00:00Z", [("Eve", "2021-03-05T08:00:00Z", [])]),
    ]
    assert comments[0]["body_html"] == (
        "<p>Hello <strong>Commento</strong></p>\n<p>Second paragraph</p>")
