"""migrations/versions/0006_votes.py: existing comments keep their place, and their score.

A comment that came with a score (imported from Isso's likes and dislikes) is given
that many up (or down) votes and their rank, so the top sort still orders it; the
downgrade gives back the schema before, comments intact.
"""

from __future__ import annotations

from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from comments_service.extensions import db
from comments_service.services.votes import rank_of
from tests.conftest import assert_schema_matches_models, insert_site_and_thread, sqlite_app_at

BEFORE = "0003_moderation"


def test_votes_migration_turns_scores_into_votes_and_downgrades_cleanly(tmp_path: Path) -> None:
    app, directory = sqlite_app_at(tmp_path, BEFORE)
    with app.app_context():
        insert_site_and_thread(comments=3)
        for ident, score in ((1, 0), (2, 7), (3, -2)):
            db.session.execute(text(
                "INSERT INTO comments (id, thread_id, depth, path, avatar_seed, body_markdown, "
                "body_html, status, score, child_count, reply_count, created_at) "
                "VALUES (:id, 1, 0, :path, 'x', 'kept', '<p>kept</p>', 'visible', :score, 0, "
                "0, '2026-01-01 00:00:00')"),
                {"id": ident, "path": f"{ident:010d}", "score": score})
        db.session.commit()

        upgrade(directory=directory)
        rows = db.session.execute(text(
            "SELECT id, score, upvotes, downvotes, rank FROM comments ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [
            (1, 0, 0, 0, 0),
            (2, 7, 7, 0, rank_of(7, 0)),
            (3, -2, 0, 2, rank_of(0, 2)),
        ]
        assert db.session.execute(text("SELECT count(*) FROM votes")).scalar() == 0
        db.session.commit()

        downgrade(directory=directory, revision=BEFORE)
        rows = db.session.execute(text("SELECT id, score FROM comments ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [(1, 0), (2, 7), (3, -2)]
        db.session.commit()

        upgrade(directory=directory)
        db.session.commit()
        assert_schema_matches_models()
