"""services/reader_data.py: the lookup behind a public request is served by an index."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

from comments_service.config import load_settings
from comments_service.services import reader_data


def test_an_addresss_comments_are_found_through_the_lower_cased_email_index(
    app, session, site_row
) -> None:
    """Asking for a link (anyone may, for any address) must not read the site's every
    comment: the case-insensitive lookup uses ix_comments_email_lower."""
    settings = load_settings(environ={})
    engine = session.get_bind()
    executed: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "lower(comments.author_email)" in statement:
            executed.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        queued = reader_data.request_link(
            session, site_row, "Nobody@Example.com", settings.comments, settings.privacy,
            True, app.config["SECRET_KEY"], datetime.now(UTC))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert queued is False
    [(statement, parameters)] = executed
    explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    if engine.dialect.name == "postgresql":
        # On a near-empty table PostgreSQL rightly prefers a scan; ask what it can use.
        session.connection().exec_driver_sql("SET LOCAL enable_seqscan = off")
    plan = session.connection().exec_driver_sql(explain + statement, parameters).all()
    assert "ix_comments_email_lower" in " ".join(str(column) for row in plan for column in row)
