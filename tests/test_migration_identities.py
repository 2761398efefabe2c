"""migrations/versions/0011_identities.py: the readers' tables and the comments' two
columns come and go; existing comments are untouched both ways; the outbox takes the
sign-in link's kind only after it; the comments table is not rebuilt on SQLite (its
expression index survives)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from comments_service.extensions import db
from tests.conftest import insert_site_and_thread, sqlite_app_at

REVISION = "0011_identities"
BEFORE = "0010_moderation_links"
COMMENT = (
    "INSERT INTO comments (id, thread_id, root_id, depth, path, author_name, avatar_seed, "
    "body_markdown, body_html, status, score, child_count, reply_count, created_at) "
    "VALUES (1, 1, 1, 0, '0000000001', 'Ann', 'x', 'hi', '<p>hi</p>', 'visible', 0, 0, 0, "
    "'2026-01-01 00:00:00')")
SIGN_IN_MAIL = (
    "INSERT INTO outbox (kind, dedupe_key, recipient, payload, status, attempts, "
    "next_attempt_at, created_at) VALUES ('sign_in', 'k', 'a@example.org', '{}', 'pending', "
    "0, '2026-01-01 00:00:00', '2026-01-01 00:00:00')")
TABLES = {"identities", "reader_tokens", "sign_in_link_uses"}


def _columns() -> set[str]:
    return {c["name"] for c in inspect(db.engine).get_columns("comments")}


def test_the_readers_tables_come_and_go_and_comments_stay(tmp_path: Path) -> None:
    app, directory = sqlite_app_at(tmp_path, BEFORE)
    with app.app_context():
        insert_site_and_thread(comments=1)
        db.session.execute(text(COMMENT))
        db.session.commit()
        with pytest.raises(IntegrityError):
            db.session.execute(text(SIGN_IN_MAIL))
        db.session.rollback()

        upgrade(directory=directory, revision=REVISION)
        assert set(inspect(db.engine).get_table_names()) >= TABLES
        assert {"identity_id", "author_picture"} <= _columns()
        # Read from SQLite's own catalogue: reflection skips expression indexes.
        indexes = set(db.session.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'comments'"
        )).scalars())
        assert {"ix_comments_identity_id", "ix_comments_email_lower"} <= indexes
        db.session.execute(text(SIGN_IN_MAIL))
        db.session.commit()
        row = db.session.execute(text("SELECT author_name, identity_id FROM comments")).one()
        assert tuple(row) == ("Ann", None)

        downgrade(directory=directory, revision=BEFORE)
        assert not TABLES & set(inspect(db.engine).get_table_names())
        assert not {"identity_id", "author_picture"} & _columns()
        assert db.session.execute(text("SELECT count(*) FROM outbox")).scalar() == 0
        assert db.session.execute(text("SELECT body_html FROM comments")).scalar() == "<p>hi</p>"
