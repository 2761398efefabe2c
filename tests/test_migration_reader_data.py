"""migrations/versions/0008_reader_data.py: the outbox is rebuilt on SQLite (its kind
CHECK gains 'reader_data') without losing a row, both ways."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from comments_service.extensions import db
from tests.conftest import insert_site_and_thread, sqlite_app_at

REVISION = "0008_reader_data"
BEFORE = f"{REVISION}-1"
OUTBOX_ROW = (
    "INSERT INTO outbox (kind, dedupe_key, recipient, payload, status, attempts, "
    "next_attempt_at, created_at) VALUES (:kind, :key, 'a@example.com', '{}', 'pending', 0, "
    "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
)


def _keys() -> list[str]:
    return list(db.session.execute(text("SELECT dedupe_key FROM outbox ORDER BY id")).scalars())


def test_outbox_rows_survive_and_the_new_kind_is_accepted_then_refused_again(
    tmp_path: Path,
) -> None:
    app, directory = sqlite_app_at(tmp_path, BEFORE)
    with app.app_context():
        insert_site_and_thread(comments=0)
        db.session.execute(text(OUTBOX_ROW), {"kind": "confirm", "key": "kept"})
        db.session.commit()

        upgrade(directory=directory, revision=REVISION)
        assert "reader_data_requests" in inspect(db.engine).get_table_names()
        assert _keys() == ["kept"]
        db.session.execute(text(OUTBOX_ROW), {"kind": "reader_data", "key": "link"})
        db.session.commit()

        downgrade(directory=directory, revision=BEFORE)
        assert "reader_data_requests" not in inspect(db.engine).get_table_names()
        assert _keys() == ["kept"]  # the links go with their table, the rest stays
        with pytest.raises(IntegrityError):
            db.session.execute(text(OUTBOX_ROW), {"kind": "reader_data", "key": "again"})
        db.session.rollback()
