"""migrations/versions/0005_moderation.py: upgrading and downgrading keep existing data.

On SQLite with foreign keys enforced, an Alembic "batch" table copy drops the
old table, and dropping threads would cascade-delete every comment; this test
catches a migration that does that.
"""

from __future__ import annotations

from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from comments_service.extensions import db
from tests.conftest import assert_schema_matches_models, insert_site_and_thread, sqlite_app_at

BEFORE = "0003_moderation-1"


def test_moderation_migration_keeps_comments_through_upgrade_and_downgrade(
    tmp_path: Path,
) -> None:
    app, directory = sqlite_app_at(tmp_path, BEFORE)
    with app.app_context():
        insert_site_and_thread(comments=1)
        db.session.execute(text(
            "INSERT INTO comments (id, thread_id, depth, path, avatar_seed, body_markdown, "
            "body_html, status, score, child_count, reply_count, created_at) "
            "VALUES (1, 1, 0, '0000000001', 'x', 'kept', '<p>kept</p>', 'visible', 0, 0, 0, "
            "'2026-01-01 00:00:00')"))
        db.session.commit()

        upgrade(directory=directory)
        row = db.session.execute(text(
            "SELECT body_markdown, is_pinned, flag_count, status_reason FROM comments")).one()
        assert tuple(row) == ("kept", 0, 0, None)
        premoderated = db.session.execute(text("SELECT is_premoderated FROM threads")).scalar()
        assert premoderated == 0
        db.session.commit()

        downgrade(directory=directory, revision=BEFORE)
        assert db.session.execute(text("SELECT body_markdown FROM comments")).scalar() == "kept"
        db.session.commit()

        upgrade(directory=directory)
        assert db.session.execute(text("SELECT count(*) FROM comments")).scalar() == 1
        db.session.commit()
        assert_schema_matches_models()
