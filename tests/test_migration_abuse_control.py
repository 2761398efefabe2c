"""migrations/versions/0004_abuse_control.py: its indexes come and go with the revision.

(That the migrated schema equals the models is checked for every revision in
tests/test_migrations.py on main.)
"""

from __future__ import annotations

from comments_service.extensions import db


def test_abuse_control_migration_downgrades_and_upgrades_again(tmp_path) -> None:
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect

    from comments_service import create_app

    app = create_app(
        {"database": {"url": f"sqlite:///{tmp_path / 'round-trip.db'}"},
         "security": {"secret_key": "test-secret-key-not-for-production"}},
        instance_path=tmp_path / "instance",
    )
    directory = app.extensions["migrate"].directory

    def indexes() -> set[str]:
        return {ix["name"] for ix in inspect(db.engine).get_indexes("comments")}

    with app.app_context():
        upgrade(directory=directory)
        assert {"ix_comments_client_recent", "ix_comments_email_recent"} <= indexes()
        downgrade(directory=directory, revision="0005_import")
        assert not {"ix_comments_client_recent", "ix_comments_email_recent"} & indexes()
        upgrade(directory=directory)
        assert {"ix_comments_client_recent", "ix_comments_email_recent"} <= indexes()
        db.engine.dispose()
