"""migrations/: the migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from comments_service.extensions import db


def test_migrated_schema_matches_the_models(app) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_upgrade_from_the_first_migration_keeps_existing_rows(tmp_path) -> None:
    """A database made by 0001 and holding comments upgrades to head with them intact."""
    from flask_migrate import upgrade
    from sqlalchemy import create_engine, text

    from comments_service import create_app

    url = f"sqlite:///{tmp_path / 'old.db'}"
    app = create_app({"database": {"url": url}, "security": {"secret_key": "k"}},
                     instance_path=tmp_path / "instance")
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory, revision="0001")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO sites (id, slug, name, allowed_origins, settings, created_at) "
            "VALUES (1, 'old', 'Old', '[]', '{}', '2020-01-01 00:00:00')"))
        conn.execute(text(
            "INSERT INTO threads (id, site_id, article_key, is_locked, total_count, "
            "visible_count, version, created_at) VALUES (1, 1, 'a', 0, 2, 2, 2, "
            "'2020-01-01 00:00:00')"))
        for ident, parent, path in ((1, None, "0000000001"), (2, 1, "0000000001.0000000002")):
            conn.execute(text(
                "INSERT INTO comments (id, thread_id, parent_id, root_id, depth, path, "
                "author_name, avatar_seed, body_markdown, body_html, status, score, "
                "child_count, reply_count, created_at) VALUES (:id, 1, :parent, 1, :depth, "
                ":path, 'Ann', 'x', 'hi', '<p>hi</p>', 'visible', 0, 0, 0, "
                "'2020-01-01 00:00:00')"),
                {"id": ident, "parent": parent, "depth": 0 if parent is None else 1,
                 "path": path})
    with app.app_context():
        upgrade(directory=directory)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT id, parent_id, body_html, status FROM comments ORDER BY id")).all()
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(1, None, "<p>hi</p>", "visible"),
                                        (2, 1, "<p>hi</p>", "visible")]
    assert version == _head_revision(directory)


def _head_revision(directory: str) -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", directory)
    return ScriptDirectory.from_config(config).get_current_head() or ""
