"""migrations/: the migrated schema is exactly what models.py declares."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from comments_service.extensions import db


def test_migrations_build_the_schema_the_models_declare(app) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


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
        downgrade(directory=directory, revision="0001")
        assert not {"ix_comments_client_recent", "ix_comments_email_recent"} & indexes()
        upgrade(directory=directory)
        assert {"ix_comments_client_recent", "ix_comments_email_recent"} <= indexes()
        db.engine.dispose()
