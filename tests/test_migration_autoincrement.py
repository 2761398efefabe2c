"""migrations/versions/0009_autoincrement.py and ids that are never handed out twice (issue 24.4).

On SQLite a table without AUTOINCREMENT gives a new row the largest rowid + 1, so the id
of a deleted newest row comes back. The migration rebuilds the tables whose ids leave the
service with AUTOINCREMENT, keeping every row (and every row that points at them), and
undoes it on downgrade. PostgreSQL's identity sequences never reuse a value: the
behaviour test runs on both backends.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from comments_service.extensions import db
from tests.conftest import Api, assert_schema_matches_models, insert_site_and_thread, sqlite_app_at

REVISION = "0009_autoincrement"
BEFORE = "0008_reader_data"
NEVER_REUSED = {"threads", "comments", "outbox", "bans", "audit_log", "reader_data_requests",
                "moderators"}
# Tables later migrations create AUTOINCREMENT from the start (0011_identities: their ids
# leave the service too).
CREATED_SO_LATER = {"identities", "reader_tokens"}


def _is_autoincrement(table: str) -> bool:
    sql = db.session.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": table},
    ).scalar_one()
    return "AUTOINCREMENT" in sql.upper()


def _snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (but Alembic's own), in id order."""
    tables = [t for t in inspect(db.engine).get_table_names() if t != "alembic_version"]
    return {table: [tuple(row) for row in db.session.execute(
        text(f"SELECT * FROM {table} ORDER BY 1, 2"))]  # noqa: S608 - reflected names
        for table in tables}


def _comment(ident: int, parent: int | None) -> None:
    path = "0000000001" if parent is None else f"0000000001.{ident:010d}"
    db.session.execute(text(
        "INSERT INTO comments (id, thread_id, parent_id, root_id, depth, path, author_name, "
        "author_email, avatar_seed, body_markdown, body_html, status, score, child_count, "
        "reply_count, created_at) VALUES (:id, 1, :parent, 1, :depth, :path, 'Ann', "
        "'Ann@Example.com', 'x', 'hi', '<p>hi</p>', 'visible', 0, 0, 0, '2026-01-01 00:00:00')"),
        {"id": ident, "parent": parent, "depth": 0 if parent is None else 1, "path": path})


def _insert_rows_of_every_kind() -> None:
    """Rows in the rebuilt tables and in tables that point at them (cascades would show)."""
    insert_site_and_thread(comments=3)
    _comment(1, None)
    _comment(2, 1)
    _comment(3, 1)
    db.session.execute(text(
        "INSERT INTO flags (id, comment_id, reason, client_hash, reader_key, created_at) "
        "VALUES (1, 3, 'spam', 'c', 'r', '2026-01-01 00:00:00')"))
    db.session.execute(text(
        "INSERT INTO votes (id, comment_id, voter_key, address_key, value, created_at) "
        "VALUES (1, 2, 'v', 'a', 1, '2026-01-01 00:00:00')"))
    db.session.execute(text(
        "INSERT INTO outbox (id, kind, dedupe_key, recipient, payload, status, attempts, "
        "next_attempt_at, created_at) VALUES (7, 'confirm', 'k', 'a@example.com', '{}', "
        "'pending', 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
    db.session.execute(text(
        "INSERT INTO moderators (id, email, password_hash, is_active, created_at) "
        "VALUES (4, 'mod@example.com', 'h', 1, '2026-01-01 00:00:00')"))
    db.session.execute(text("INSERT INTO moderator_sites (moderator_id, site_id) VALUES (4, 1)"))
    db.session.commit()


def test_upgrade_keeps_every_row_makes_ids_unique_forever_and_downgrade_undoes_it(
    tmp_path: Path,
) -> None:
    app, directory = sqlite_app_at(tmp_path, BEFORE)
    with app.app_context():
        _insert_rows_of_every_kind()
        before = _snapshot()
        assert not any(_is_autoincrement(table) for table in NEVER_REUSED)

        upgrade(directory=directory, revision=REVISION)
        assert _snapshot() == before
        assert all(_is_autoincrement(table) for table in NEVER_REUSED)
        indexes = {i["name"] for i in inspect(db.engine).get_indexes("comments")}
        assert "ix_comments_top_by_time" in indexes
        assert db.session.execute(text(  # the expression index, which SQLite cannot reflect
            "SELECT count(*) FROM sqlite_master WHERE name = 'ix_comments_email_lower'"
        )).scalar_one() == 1

        # The newest comment goes; the next one gets a new id, not 3 again.
        db.session.execute(text("DELETE FROM comments WHERE id = 3"))
        _comment_without_id()
        assert db.session.execute(text("SELECT max(id) FROM comments")).scalar_one() == 4
        db.session.execute(text("DELETE FROM comments WHERE id = 4"))
        db.session.commit()

        downgrade(directory=directory, revision=BEFORE)
        after = _snapshot()
        assert after["comments"] == before["comments"][:2]
        assert after["votes"] == before["votes"]
        assert after["outbox"] == before["outbox"]
        assert after["moderator_sites"] == before["moderator_sites"]
        assert not any(_is_autoincrement(table) for table in NEVER_REUSED)
        db.session.remove()
        db.engine.dispose()


def _comment_without_id() -> None:
    db.session.execute(text(
        "INSERT INTO comments (thread_id, depth, path, avatar_seed, body_markdown, body_html, "
        "status, score, child_count, reply_count, created_at) VALUES (1, 0, 'x', 'x', 'b', "
        "'<p>b</p>', 'visible', 0, 0, 0, '2026-01-01 00:00:00')"))


def test_migrated_schema_matches_the_models_with_autoincrement(tmp_path: Path) -> None:
    """At the newest revision (later ones keep what this one made)."""
    app, _ = sqlite_app_at(tmp_path, "head")
    with app.app_context():
        assert {t.name for t in db.metadata.tables.values()
                if t.dialect_options["sqlite"]["autoincrement"]} == NEVER_REUSED | CREATED_SO_LATER
        assert all(_is_autoincrement(table) for table in NEVER_REUSED | CREATED_SO_LATER)
        assert_schema_matches_models()


def test_the_id_of_a_deleted_newest_comment_is_never_given_again(api: Api) -> None:
    """On both backends: post, delete the newest, post again: a new id."""
    api.posted_id("first")
    posted = api.post("newest").get_json()
    newest = posted["comment"]["id"]
    gone = api.client.delete(f"/api/v1/sites/{api.site}/comments/{newest}",
                             headers={"X-Edit-Token": posted["edit_token"]})
    assert gone.status_code == 200
    assert gone.get_json()["placeholder"] is False
    assert api.posted_id("after the delete") > newest


OLDEST_FIRST = ("EXPLAIN QUERY PLAN SELECT id FROM comments WHERE thread_id = 1 AND depth = 0 "
                "ORDER BY is_pinned DESC, created_at, id LIMIT 20")


@pytest.mark.parametrize("where", ["head", "down to 0008"])
def test_the_rebuilt_comments_keep_the_oldest_first_index_descending(
    tmp_path: Path, where: str
) -> None:
    """Batch mode copies indexes as SQLite reflects them; the oldest-first page's index
    lost its descending is_pinned, and a big thread's first page sorted every row."""
    app, directory = sqlite_app_at(tmp_path, "head")
    with app.app_context():
        if where != "head":
            downgrade(directory=directory, revision="0008_reader_data")
        index = db.session.execute(text(
            "SELECT sql FROM sqlite_master WHERE name = 'ix_comments_top_pinned_oldest'")).scalar()
        assert "is_pinned DESC" in index
        plan = " ".join(row[-1] for row in db.session.execute(text(OLDEST_FIRST)))
        assert "ix_comments_top_pinned_oldest" in plan
        assert "TEMP B-TREE" not in plan
        db.session.remove()
        db.engine.dispose()
