"""migrations/versions/0010_moderation_links.py: the table that makes moderation links
single-use appears and goes again, and existing rows are untouched both ways."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from comments_service.extensions import db
from tests.conftest import insert_site_and_thread, sqlite_app_at

REVISION = "0010_moderation_links"
BEFORE = "0009_autoincrement"
USE = ("INSERT INTO moderation_link_uses (nonce, comment_id, action, used_at) "
       "VALUES (:nonce, 1, 'hide', '2026-12-01 00:00:00')")


def test_the_link_table_comes_and_goes_and_a_nonce_is_used_once(tmp_path: Path) -> None:
    app, directory = sqlite_app_at(tmp_path, BEFORE)
    with app.app_context():
        insert_site_and_thread(comments=2)
        db.session.commit()
        upgrade(directory=directory, revision=REVISION)
        assert "moderation_link_uses" in inspect(db.engine).get_table_names()
        db.session.execute(text(USE), {"nonce": "a" * 32})
        db.session.commit()
        with pytest.raises(IntegrityError):
            db.session.execute(text(USE), {"nonce": "a" * 32})
        db.session.rollback()

        downgrade(directory=directory, revision=BEFORE)
        assert "moderation_link_uses" not in inspect(db.engine).get_table_names()
        assert db.session.execute(text("SELECT visible_count FROM threads")).scalar() == 2
