"""Flask-Migrate's view of the app, with Alembic imported only when a migration runs.

Importing Flask-Migrate imports Alembic: ~11 MiB of resident memory in every web
worker (measured), which never migrates. ``init_app`` puts in ``app.extensions
["migrate"]`` what Flask-Migrate's functions and our ``migrations/env.py`` read
(``directory``, ``db``, ``configure_args``, ``migrate``), and registers the ``flask
db`` command group; Flask-Migrate itself is imported on first use of either.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

if TYPE_CHECKING:
    from flask_migrate import Migrate

# Flask-Migrate's defaults for Migrate(...), passed to Alembic's context by env.py.
_CONTEXT_ARGS = {"compare_type": True, "render_as_batch": True}


class LazyMigrateConfig:
    """Flask-Migrate's ``_MigrateConfig``, building its ``Migrate`` on first use."""

    def __init__(self, db: SQLAlchemy, directory: str) -> None:
        self.db = db
        self.directory = directory
        self.configure_args: dict[str, Any] = dict(_CONTEXT_ARGS)

    @cached_property
    def migrate(self) -> Migrate:
        from flask_migrate import Migrate

        return Migrate(db=self.db, directory=self.directory, **_CONTEXT_ARGS)

    @property
    def metadata(self) -> Any:
        return self.db.metadata


class LazyDbCommands(click.Group):
    """``flask db ...``: Flask-Migrate's command group, imported when it is run."""

    def _group(self) -> click.Group:
        from flask_migrate.cli import db as db_cli_group

        return db_cli_group

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._group().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._group().get_command(ctx, cmd_name)


def init_app(app: Flask, db: SQLAlchemy, directory: Path) -> None:
    app.extensions["migrate"] = LazyMigrateConfig(db, str(directory))
    app.cli.add_command(LazyDbCommands("db", help="Database migrations (Flask-Migrate)."))
