"""The `comments-service` command: serve, migrate, create-site, list-sites."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from comments_service.app import create_app
from comments_service.config import ConfigError, Settings, load_settings, replace_section
from comments_service.errors import ValidationFailed
from comments_service.extensions import db
from comments_service.models import Site
from comments_service.services import sites


def _app(settings: Settings | None = None) -> Flask:
    try:
        return create_app(settings or load_settings())
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def migrate_database(app: Flask) -> None:
    """Bring the schema to the newest migration (creating it on first start)."""
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)


def ensure_demo_site(app: Flask, base_url: str) -> None:
    """Create the demo site (allowed to write from the service's own origin) if missing."""
    settings: Settings = app.extensions["comments_settings"]
    with app.app_context():
        slug = settings.demo.site
        if db.session.execute(select(Site.id).where(Site.slug == slug)).first() is None:
            sites.create_site(db.session, slug, "Demo site", [base_url], datetime.now(UTC))
            db.session.commit()


@click.group()
def main() -> None:
    """Self-hosted comment threads for any article page."""


@main.command()
@click.option("--host", default=None, help="Listen address (default: [server] host).")
@click.option("--port", type=int, default=None, help="Port (default: [server] port).")
@click.option("--workers", type=int, default=None, help="gunicorn processes.")
@click.option("--no-migrate", is_flag=True, help="Do not upgrade the schema first.")
def serve(host: str | None, port: int | None, workers: int | None, no_migrate: bool) -> None:
    """Run the service under gunicorn, migrating the database first."""
    from gunicorn.app.base import BaseApplication

    settings = load_settings()
    changes: dict[str, Any] = {}
    if host:
        changes["host"] = host
    if port:
        changes["port"] = port
    if workers:
        changes["workers"] = workers
    settings = replace_section(settings, "server", **changes) if changes else settings
    app = _app(settings)
    if not no_migrate:
        migrate_database(app)
    base_url = f"http://{settings.server.host}:{settings.server.port}"
    if settings.demo.enabled:
        ensure_demo_site(app, base_url)

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{settings.server.host}:{settings.server.port}")
            self.cfg.set("workers", settings.server.workers)
            self.cfg.set("threads", settings.server.threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("accesslog", "-")

        def load(self) -> Flask:
            return app

    click.echo(f"comments_service on {base_url}  (demo page: {base_url}/demo)")
    Server().run()


@main.command("migrate")
def migrate_command() -> None:
    """Create or upgrade the database schema to the newest migration."""
    migrate_database(_app())
    click.echo("database is at the newest schema")


@main.command("init-db")
def init_db() -> None:
    """Same as migrate: create the schema on a new database."""
    migrate_database(_app())
    click.echo("database is at the newest schema")


@main.command("create-site")
@click.argument("slug")
@click.option("--name", default="", help="Display name.")
@click.option(
    "--origin", "origins", multiple=True,
    help="Origin whose pages may post, e.g. https://blog.example (repeatable).",
)
def create_site(slug: str, name: str, origins: tuple[str, ...]) -> None:
    """Add a site that pages at ORIGINs may embed."""
    app = _app()
    with app.app_context():
        try:
            site = sites.create_site(db.session, slug, name, origins, datetime.now(UTC))
        except ValidationFailed as exc:
            message = "; ".join(f"{key}: {value}" for key, value in exc.fields.items())
            raise click.ClickException(message) from exc
        db.session.commit()
        origins_text = ", ".join(site.allowed_origins) or "-"
        click.echo(f"site {site.slug} created; origins: {origins_text}")


@main.command("list-sites")
def list_sites() -> None:
    """List sites and their allowed origins."""
    app = _app()
    with app.app_context():
        for site in db.session.execute(select(Site).order_by(Site.slug)).scalars():
            click.echo(f"{site.slug}\t{site.name}\t{' '.join(site.allowed_origins)}")


if __name__ == "__main__":
    main()
