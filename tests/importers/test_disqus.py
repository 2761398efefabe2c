"""importers/disqus.py through the loader: a realistic Disqus export, and a flawed one."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from comments_service.clients import hash_address
from comments_service.importers.disqus import read_disqus
from comments_service.importers.records import KeyFrom
from comments_service.models import Comment, Thread
from tests.importers.conftest import (
    DATA,
    Row,
    article_keys,
    assert_tree_consistent,
    by_key,
    run_import,
    thread_rows,
)

HELLO = "/2019/hello-world/"
CAFE = "/2019/cafe-creme/?utm_source=rss"
DEEP = "/2020/deep-thread/"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def import_disqus(app, session, site, name="disqus.xml", key_from=KeyFrom.URL_PATH, **kw):
    with (DATA / name).open("rb") as source:
        return run_import(app, session, site, read_disqus(source, key_from), **kw)


def test_threads_are_keyed_by_url_path_with_titles_and_closed_state(app, session, site_row):
    report = import_disqus(app, session, site_row)
    assert article_keys(session, site_row) == {HELLO, CAFE, DEEP}  # no thread without posts
    assert report.threads_created == 3
    threads = {t.article_key: t for t in session.scalars(select(Thread))}
    assert threads[HELLO].title == "Hello, world"
    assert threads[HELLO].url == "https://blog.example/2019/hello-world/"
    assert threads[HELLO].created_at == at("2019-03-01T09:00:00Z")
    assert threads[CAFE].title == "Café crème ☕"
    assert threads[DEEP].is_locked
    assert not threads[HELLO].is_locked


def test_hello_thread_keeps_nesting_authors_dates_and_statuses(app, session, site_row):
    import_disqus(app, session, site_row)
    rows = thread_rows(session, site_row, HELLO)
    assert [(r.key, r.depth, r.parent, r.status) for r in rows] == [
        ("disqus:2001", 0, None, "visible"),
        ("disqus:2002", 1, "disqus:2001", "visible"),
        ("disqus:2003", 2, "disqus:2002", "visible"),
        ("disqus:2004", 0, None, "pending"),
        ("disqus:2005", 0, None, "hidden"),
    ]
    assert [(r.author_name, r.author_email, r.created_at) for r in rows] == [
        ("Ann", "ann@example.org", at("2019-03-01T10:00:00Z")),
        ("Bob", "bob@example.org", at("2019-03-01T10:05:00Z")),
        ("Ann", "ann@example.org", at("2019-03-01T10:10:00Z")),
        ("Carl", None, at("2019-03-01T11:00:00Z")),
        ("Pills", "spammer@spam.example", at("2019-03-01T12:00:00Z")),
    ]


def test_html_bodies_are_cleaned_by_the_allow_list_and_keep_their_meaning(
    app, session, site_row
):
    import_disqus(app, session, site_row)
    rows = by_key(thread_rows(session, site_row, HELLO) + thread_rows(session, site_row, CAFE))
    assert rows["disqus:2001"].body_html == "<p>First! <strong>Nice</strong> post.</p>"
    assert rows["disqus:2001"].body_markdown == "First! Nice post."
    # script content, event handlers, javascript: links and images are gone
    assert rows["disqus:2002"].body_html == "<p>Agreed. click</p>"
    assert rows["disqus:2003"].body_html == (
        '<p>Thanks, <a href="https://ann.example/" rel="nofollow ugc noopener">'
        "see my blog</a></p>"
    )
    assert rows["disqus:2010"].body_html == (
        "<p>Très bien — 日本語のテキスト 👍</p><p><em>Merci</em> &amp; à bientôt</p>"
    )
    assert rows["disqus:2010"].author_name == "Zoë Ünal"
    assert rows["disqus:2010"].author_email == "zoe@exämple.org"


def test_deleted_post_with_a_reply_stays_as_placeholder_and_one_without_is_skipped(
    app, session, site_row
):
    report = import_disqus(app, session, site_row)
    rows = thread_rows(session, site_row, CAFE)
    assert [(r.key, r.depth, r.parent, r.status) for r in rows] == [
        ("disqus:2010", 0, None, "visible"),
        ("disqus:2011", 0, None, "deleted"),
        ("disqus:2012", 1, "disqus:2011", "visible"),
    ]
    placeholder = by_key(rows)["disqus:2011"]
    assert (placeholder.author_name, placeholder.author_email, placeholder.body_html) == (
        None, None, "")
    assert placeholder.created_at == at("2019-04-02T08:40:00Z")
    # a time with an offset is stored in UTC
    assert by_key(rows)["disqus:2012"].created_at == at("2019-04-02T06:50:00Z")
    assert [(s.source_id, s.reason) for s in report.skipped] == [
        ("2013", "deleted, with no replies to hold")
    ]


def test_reply_deeper_than_cap_attaches_at_cap_and_remembers_what_it_answered(
    app, session, site_row
):
    import_disqus(app, session, site_row)  # the default cap: comments.max_depth = 4
    rows = thread_rows(session, site_row, DEEP)
    assert [(r.key, r.depth, r.parent, r.reply_to) for r in rows] == [
        ("disqus:2020", 0, None, None),
        ("disqus:2021", 1, "disqus:2020", "disqus:2020"),
        ("disqus:2022", 2, "disqus:2021", "disqus:2021"),
        ("disqus:2023", 3, "disqus:2022", "disqus:2022"),
        ("disqus:2024", 4, "disqus:2023", "disqus:2023"),
        ("disqus:2025", 4, "disqus:2023", "disqus:2024"),
        ("disqus:2026", 4, "disqus:2023", "disqus:2025"),
    ]
    assert [r.created_at for r in rows] == [
        at(f"2020-01-05T10:0{minute}:00Z") for minute in range(7)
    ]


def test_a_lower_cap_from_config_moves_replies_up_the_same_way(make_app, site_factory):
    app = make_app(comments={"max_depth": 1})
    site_factory(app)
    with app.app_context():
        from comments_service.extensions import db
        from comments_service.services.sites import get_site

        site = get_site(db.session, "news")
        import_disqus(app, db.session, site)
        rows = thread_rows(db.session, site, DEEP)
        assert {r.depth for r in rows} == {0, 1}
        assert all(r.parent == "disqus:2020" for r in rows[1:])
        assert by_key(rows)["disqus:2026"].reply_to == "disqus:2025"
        assert_tree_consistent(db.session)


def test_counters_paths_and_roots_agree_with_the_rows(app, session, site_row):
    import_disqus(app, session, site_row, batch_size=2)  # many batches, parents in others
    assert_tree_consistent(session)
    hello = session.execute(select(Thread).where(Thread.article_key == HELLO)).scalar_one()
    assert (hello.total_count, hello.visible_count) == (5, 3)
    cafe = session.execute(select(Thread).where(Thread.article_key == CAFE)).scalar_one()
    assert (cafe.total_count, cafe.visible_count) == (2, 2)


def test_client_addresses_are_stored_only_as_keyed_hashes(app, session, site_row):
    import_disqus(app, session, site_row)
    comment = session.execute(
        select(Comment).where(Comment.import_key == "disqus:2001")
    ).scalar_one()
    assert comment.client_hash == hash_address("198.51.100.23", app.config["SECRET_KEY"])


def test_second_import_of_the_same_file_adds_nothing(app, session, site_row):
    first = import_disqus(app, session, site_row)
    before = {key: thread_rows(session, site_row, key) for key in (HELLO, CAFE, DEEP)}
    second = import_disqus(app, session, site_row)
    assert (first.comments_imported, second.comments_imported) == (15, 0)
    assert second.already_present == 15
    assert second.threads_created == 0
    assert session.query(Comment).count() == 15
    assert {key: thread_rows(session, site_row, key) for key in before} == before
    assert_tree_consistent(session)


def test_key_from_identifier_uses_disqus_ids_and_skips_threads_without_one(
    app, session, site_row
):
    report = import_disqus(app, session, site_row, key_from=KeyFrom.IDENTIFIER)
    assert article_keys(session, site_row) == {"hello-world", "cafe-creme"}
    skipped = {s.source_id: s.reason for s in report.skipped}
    for post in range(2020, 2027):
        assert skipped[str(post)] == "its thread 1003 has no article key (try another --key-from)"


def test_key_from_url_uses_the_whole_link(app, session, site_row):
    import_disqus(app, session, site_row, key_from=KeyFrom.URL)
    assert "https://blog.example/2019/cafe-creme/?utm_source=rss" in article_keys(
        session, site_row)


def test_flawed_file_imports_the_rest_and_reports_every_skip_with_its_reason(
    app, session, site_row
):
    report = import_disqus(app, session, site_row, "disqus_flawed.xml")
    rows = thread_rows(session, site_row, "/flawed/")
    assert [(r.key, r.author_name) for r in rows] == [("disqus:10", "Fine")]  # first of twins
    assert sorted((s.source_id, s.reason) for s in report.skipped) == [
        ("10", "duplicate id (first kept)"),
        ("11", "missing parent 9999"),
        ("12", "parent 11 is not reachable (an ancestor is missing, or a cycle)"),
        ("13", "bad date 'last Tuesday'"),
        ("14", "its thread 77 is not in the file"),
    ]


def test_only_visible_comments_and_placeholders_reach_readers(api, app, session, site_row):
    import_disqus(app, session, site_row)
    page = api.thread(HELLO).get_json()
    assert [c["author"]["name"] for c in page["comments"]] == ["Ann"]  # not pending, not spam
    [bob] = page["comments"][0]["replies"]
    assert bob["author"]["name"] == "Bob"
    assert [r["author"]["name"] for r in bob["replies"]] == ["Ann"]
    cafe = api.thread(CAFE).get_json()["comments"]
    assert [(c["status"], c["author"] and c["author"]["name"]) for c in cafe] == [
        ("visible", "Zoë Ünal"), ("deleted", None)]
    counts = api.client.get(
        f"/api/v1/sites/{api.site}/counts", query_string={"article": [HELLO, CAFE]}
    ).get_json()
    assert counts == {"counts": {HELLO: 3, CAFE: 2}}


def test_imported_rows_equal_expected_rows_field_by_field(app, session, site_row):
    import_disqus(app, session, site_row)
    bob = by_key(thread_rows(session, site_row, HELLO))["disqus:2002"]
    assert bob == Row(
        key="disqus:2002", depth=1, parent="disqus:2001", reply_to="disqus:2001",
        status="visible", author_name="Bob", author_email="bob@example.org",
        author_website=None, created_at=at("2019-03-01T10:05:00Z"), edited_at=None, score=0,
        body_markdown="Agreed. click", body_html="<p>Agreed. click</p>",
    )
