"""migrations/versions/0007_passages.py: the anchors table comes and goes, comments stay."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from comments_service.extensions import db
from tests.conftest import assert_schema_matches_models, insert_site_and_thread, sqlite_app_at

REVISION = "0007_passages"
# Relative, so the test holds wherever the lead chains this revision at merge time.
BEFORE = f"{REVISION}-1"


def test_passages_migration_adds_anchors_and_keeps_comments_both_ways(tmp_path: Path) -> None:
    app, directory = sqlite_app_at(tmp_path, BEFORE)
    with app.app_context():
        insert_site_and_thread(comments=1)
        db.session.execute(text(
            "INSERT INTO comments (id, thread_id, root_id, depth, path, avatar_seed, "
            "body_markdown, body_html, status, score, child_count, reply_count, created_at) "
            "VALUES (1, 1, 1, 0, '0000000001', 'x', 'kept', '<p>kept</p>', 'visible', 0, 0, "
            "0, '2026-01-01 00:00:00')"))
        db.session.commit()

        upgrade(directory=directory, revision=REVISION)
        db.session.execute(text(
            "INSERT INTO passage_anchors (comment_id, thread_id, passage_key, quote, prefix, "
            "suffix) VALUES (1, 1, 'p1', 'the quote', 'before ', ' after')"))
        db.session.commit()
        indexes = {ix["name"] for ix in inspect(db.engine).get_indexes("passage_anchors")}
        assert "ix_passage_anchors_thread_key" in indexes

        downgrade(directory=directory, revision=BEFORE)
        assert not inspect(db.engine).has_table("passage_anchors")
        assert db.session.execute(text("SELECT body_markdown FROM comments")).scalar() == "kept"
        db.session.commit()

        upgrade(directory=directory)
        assert db.session.execute(text("SELECT count(*) FROM comments")).scalar() == 1
        assert db.session.execute(text("SELECT count(*) FROM passage_anchors")).scalar() == 0
        db.session.commit()
        assert_schema_matches_models()
