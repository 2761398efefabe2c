"""importers/wordpress.py on a WordPress.com-shaped export (https namespace) and the
ways an import used to lose or change comments silently (issue 17)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from comments_service.importers.records import ImportFileError, KeyFrom
from comments_service.importers.wordpress import read_wordpress
from tests.importers.conftest import (
    DATA,
    article_keys,
    assert_tree_consistent,
    by_key,
    run_import,
    thread_rows,
)

SOURCE = "example.wordpress.com"
HELLO = "/2024/01/10/hello-world/"


def key(number: int, source: str = SOURCE) -> str:
    return f"wordpress:{source}:{number}"


def import_com(app, session, site_row, **options):
    with (DATA / "wordpress_com.xml").open("rb") as source:
        return run_import(app, session, site_row, read_wordpress(source, **options))


def all_rows(session, site_row):
    rows = []
    for article in article_keys(session, site_row):
        rows += thread_rows(session, site_row, article)
    return by_key(rows)


def test_https_namespace_export_imports_every_comment_with_nesting(app, session, site_row):
    report = import_com(app, session, site_row)
    rows = thread_rows(session, site_row, HELLO)
    assert [(r.key, r.depth, r.parent) for r in rows] == [
        (key(11), 0, None),
        (key(12), 1, key(11)),
        (key(13), 2, key(12)),
        (key(14), 0, None),
    ]
    assert rows[0].created_at == datetime(2024, 1, 10, 10, tzinfo=UTC)
    assert report.comments_imported == 9
    assert_tree_consistent(session)


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
def test_every_wxr_namespace_version_and_scheme_is_read(app, session, site_row, scheme, version):
    text = (DATA / "wordpress.xml").read_text(encoding="utf-8")
    text = text.replace("http://wordpress.org/export/1.2/",
                        f"{scheme}://wordpress.org/export/{version}/")
    report = run_import(app, session, site_row, read_wordpress(io.BytesIO(text.encode())))
    assert (report.comments_imported, len(report.skipped)) == (8, 2)


def test_rss_without_the_wxr_namespace_is_refused_and_names_what_it_found():
    text = (DATA / "wordpress.xml").read_text(encoding="utf-8")
    text = text.replace("http://wordpress.org/export/1.2/", "http://example.org/not-wxr/")
    with pytest.raises(ImportFileError, match="not a WordPress export: no element in the WXR"
                       r".*http://example.org/not-wxr/"):
        list(read_wordpress(io.BytesIO(text.encode())))


def test_pre_keeps_its_lines_and_the_text_around_it_gets_paragraphs(app, session, site_row):
    import_com(app, session, site_row)
    assert all_rows(session, site_row)[key(11)].body_html == (
        "<p>Code, as WordPress keeps it:</p>"
        "<pre>def f():\n    return 1\n\n# done</pre>"
        "<p>After the code.</p><p>A last paragraph.</p>"
    )


def test_names_emails_and_websites_are_decoded_exactly_once(app, session, site_row):
    import_com(app, session, site_row)
    rows = all_rows(session, site_row)
    assert rows[key(11)].author_name == "Tom & Jerry"
    assert rows[key(11)].author_website == "https://tom.example/?a=1&b=2"
    assert rows[key(12)].author_name == "What\u2019s \"up\""
    assert rows[key(13)].author_name == "O'Brien"


def test_wordpress_comment_tags_keep_their_meaning_and_the_rest_is_text(app, session, site_row):
    import_com(app, session, site_row)
    assert all_rows(session, site_row)[key(12)].body_html == (
        "<p><strong>Bold</strong>, <em>italic</em>, <strong>strong</strong>, <em>em</em>, "
        '<code>code()</code>, <a href="https://example.org/x" rel="nofollow ugc noopener">'
        "a link</a>, gone and quoted.</p><blockquote><p>A quote</p></blockquote>"
    )


def test_comments_on_protected_private_and_draft_posts_arrive_pending(app, session, site_row):
    report = import_com(app, session, site_row)
    rows = all_rows(session, site_row)
    assert [rows[key(n)].status for n in (21, 31, 41)] == ["pending"] * 3
    assert rows[key(32)].status == "hidden"  # spam stays spam
    assert rows[key(11)].status == "visible"
    assert report.held == {"a password-protected post": 1, "a private post": 1,
                           "a draft post": 1}


def test_publish_protected_shows_them_as_the_old_site_approved_them(app, session, site_row):
    report = import_com(app, session, site_row, publish_protected=True)
    rows = all_rows(session, site_row)
    assert [rows[key(n)].status for n in (21, 31, 41)] == ["visible"] * 3
    assert not report.held


def test_two_blogs_with_the_same_comment_ids_both_arrive(app, session, site_row):
    first = import_com(app, session, site_row)
    text = (DATA / "wordpress_com.xml").read_text(encoding="utf-8")
    other = text.replace("example.wordpress.com", "other.example").replace(
        "/2024/01/10/hello-world/", "/other/hello-world/")
    second = run_import(app, session, site_row, read_wordpress(io.BytesIO(other.encode())))
    assert (second.comments_imported, second.already_present) == (first.comments_imported, 0)
    assert [r.key for r in thread_rows(session, site_row, "/other/hello-world/")] == [
        key(n, "other.example") for n in (11, 12, 13, 14)]
    assert len(thread_rows(session, site_row, HELLO)) == 4
    again = import_com(app, session, site_row)
    assert (again.comments_imported, again.already_present) == (0, first.comments_imported)


def test_an_explicit_source_name_keys_the_comments(app, session, site_row):
    import_com(app, session, site_row, source_label="old blog")
    assert thread_rows(session, site_row, HELLO)[0].key == "wordpress:old-blog:11"


def test_a_name_longer_than_the_cap_is_cut_and_reported(app, session, site_row):
    report = import_com(app, session, site_row)
    cap = app.extensions["comments_settings"].comments.max_name_chars
    assert len(all_rows(session, site_row)[key(14)].author_name) == cap
    assert report.names_cut == [
        f"comment 14 (on “Hello world!” https://example.wordpress.com{HELLO}): author name "
        f"of 105 characters cut to {cap}"
    ]


def test_plain_permalinks_are_reported(app, session, site_row):
    report = import_com(app, session, site_row)
    assert report.plain_permalinks == ["/?p=4", "/?page_id=5"]
    assert {"/?p=4", "/?page_id=5"} <= article_keys(session, site_row)


def test_a_skip_names_its_post_and_tells_the_truth(app, session, site_row):
    report = import_com(app, session, site_row)
    assert [item.describe() for item in report.skipped] == [
        "61 (on post 6 “Linked from elsewhere”): a pingback, not a reader's comment"
    ]


def test_key_from_identifier_uses_post_ids(app, session, site_row):
    import_com(app, session, site_row, key_from=KeyFrom.IDENTIFIER)
    assert article_keys(session, site_row) == {"1", "2", "3", "4", "5"}
