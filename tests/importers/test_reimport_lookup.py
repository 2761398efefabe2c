"""loader.py: a re-import finds each comment already present by one index look-up,
never by walking the site's threads (issue 17: 55 s to re-import 32,000 comments)."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import event, text

from comments_service.extensions import db
from comments_service.importers import present
from comments_service.importers.wordpress import read_wordpress
from tests.importers.conftest import DATA, run_import


def import_com(app, session, site_row):
    with (DATA / "wordpress_com.xml").open("rb") as source:
        return run_import(app, session, site_row, read_wordpress(source))


def test_reimport_looks_each_key_up_in_the_import_key_index(app, session, site_row):
    if db.engine.dialect.name != "sqlite":
        return  # the plan below is SQLite's; PostgreSQL runs the same statements
    import_com(app, session, site_row)
    lookups: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "import_key IN" in statement:
            lookups.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        again = import_com(app, session, site_row)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert (again.comments_imported, again.already_present) == (0, 9)
    assert lookups
    for statement, parameters in lookups:
        plan = session.connection().exec_driver_sql(
            f"EXPLAIN QUERY PLAN {statement}", parameters).all()
        steps = [row[-1] for row in plan]
        # The first (outer) step searches comments by import_key; threads are never walked.
        assert steps[0].startswith("SEARCH comments USING"), steps
        assert "(import_key=?)" in steps[0], steps
        assert not any("threads" in step for step in steps), steps


def test_comments_imported_before_sources_joined_the_key_are_still_recognised(
    app, session, site_row
):
    text = (DATA / "wordpress.xml").read_text(encoding="utf-8")
    without_site = text.replace("<link>https://wp.example</link>", "").replace(
        "<wp:base_blog_url>https://wp.example</wp:base_blog_url>", "")
    # As an import made by the previous version stored them: "wordpress:101".
    old = run_import(app, session, site_row, read_wordpress(io.BytesIO(without_site.encode())))
    assert old.comments_imported == 8
    with (DATA / "wordpress.xml").open("rb") as source:
        again = run_import(app, session, site_row, read_wordpress(source))
    assert (again.comments_imported, again.already_present) == (0, 8)


def test_a_legacy_key_in_another_article_is_another_comment(app, session, site_row):
    text = (DATA / "wordpress.xml").read_text(encoding="utf-8")
    without_site = text.replace("<link>https://wp.example</link>", "").replace(
        "<wp:base_blog_url>https://wp.example</wp:base_blog_url>", "")
    run_import(app, session, site_row, read_wordpress(io.BytesIO(without_site.encode())))
    other_blog = text.replace("wp.example", "other.example").replace(
        "/ueber-uns/", "/about/").replace("?p=12", "?p=13")
    second = run_import(app, session, site_row, read_wordpress(io.BytesIO(other_blog.encode())))
    assert (second.comments_imported, second.already_present) == (8, 0)


def test_postgresql_looks_each_key_up_in_the_index_whatever_the_statistics(
    app, session, site_row
):
    """On PostgreSQL, the look-up of a batch's keys probes the import_key index once per
    key even where the table has no statistics yet (a table an import is filling): the
    plan has no sequential scan of comments, which made imports quadratic."""
    if db.engine.dialect.name != "postgresql":
        return  # SQLite's plan is checked above
    import_com(app, session, site_row)
    # 20,000 more comments, as an import leaves them before autovacuum has looked.
    session.execute(text(
        "INSERT INTO comments (thread_id, depth, path, avatar_seed, body_markdown, body_html,"
        " status, score, child_count, reply_count, created_at, import_key)"
        " SELECT min(id), 0, 'x', 's', repeat('word ', 80), repeat('word ', 80), 'visible',"
        " 0, 0, 0, now(), 'bulk:' || g FROM threads, generate_series(1, 20000) g GROUP BY g"))
    session.execute(text("DELETE FROM pg_statistic WHERE starelid = 'comments'::regclass"))
    keys = [f"wordpress:example:{n}" for n in range(250)]
    for lookup in present._lookups(session, keys):
        compiled = lookup.compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = "\n".join(row[0] for row in session.execute(text(f"EXPLAIN {compiled}")))
        assert "Seq Scan on comments" not in plan, plan
        assert "uq_comments_import_key" in plan, plan
    session.rollback()
