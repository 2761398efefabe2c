"""loader.py: a re-import finds each comment already present by one index look-up,
never by walking the site's threads (issue 17: 55 s to re-import 32,000 comments)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from comments_service.extensions import db
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
