"""migrations/versions/0012_reader_language.py: the language columns of subscriptions and
reader-data requests appear (NULL for existing rows) and go again, rows untouched."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from comments_service.extensions import db
from tests.conftest import insert_site_and_thread, sqlite_app_at

REVISION = "0012_reader_language"
BEFORE = "0011_identities"
SUBSCRIBE = ("INSERT INTO subscriptions (thread_id, email, address_hash, mode, created_at) "
             "VALUES (1, 'ann@example.com', :hash, 'all', '2026-12-01 00:00:00')")


def _columns(table: str) -> set[str]:
    return {column["name"] for column in inspect(db.engine).get_columns(table)}


def test_the_language_columns_come_and_go_and_rows_stay(tmp_path: Path) -> None:
    app, directory = sqlite_app_at(tmp_path, BEFORE)
    with app.app_context():
        insert_site_and_thread(comments=2)
        db.session.execute(text(SUBSCRIBE), {"hash": "a" * 64})
        db.session.commit()
        upgrade(directory=directory, revision=REVISION)
        assert "language" in _columns("subscriptions")
        assert "language" in _columns("reader_data_requests")
        assert db.session.execute(text("SELECT language FROM subscriptions")).scalar() is None
        db.session.execute(text("UPDATE subscriptions SET language = 'pt-BR'"))
        db.session.commit()
        assert db.session.execute(text("SELECT language FROM subscriptions")).scalar() == "pt-BR"

        downgrade(directory=directory, revision=BEFORE)
        assert "language" not in _columns("subscriptions")
        assert "language" not in _columns("reader_data_requests")
        assert db.session.execute(text("SELECT email FROM subscriptions")).scalar() == \
            "ann@example.com"
        assert db.session.execute(text("SELECT visible_count FROM threads")).scalar() == 2
