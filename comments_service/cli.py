"""The `comments-service` command: serve, migrate, create-site, list-sites, moderator."""

from __future__ import annotations

import sys
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
from comments_service.services import moderators, sites


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


# ---- moderation: moderator accounts -------------------------------------------------


def _read_password(password_stdin: bool, settings: Settings) -> str:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < settings.moderation.min_password_chars:
        raise click.ClickException(
            f"use at least {settings.moderation.min_password_chars} characters"
        )
    return password


def _fail(exc: ValidationFailed) -> click.ClickException:
    return click.ClickException("; ".join(f"{k}: {v}" for k, v in exc.fields.items()))


@main.group()
def moderator() -> None:
    """Moderator accounts: add, list, set a password, mint or revoke API tokens."""


@moderator.command("add")
@click.argument("email")
@click.option("--site", "site_slugs", multiple=True, required=True,
              help="A site this moderator may moderate (repeatable).")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input.")
def moderator_add(email: str, site_slugs: tuple[str, ...], password_stdin: bool) -> None:
    """Add a moderator of one or more sites (asks for a password)."""
    app = _app()
    settings: Settings = app.extensions["comments_settings"]
    password = _read_password(password_stdin, settings)
    with app.app_context():
        try:
            added = moderators.create_moderator(
                db.session, email, password, list(site_slugs), settings.moderation,
                datetime.now(UTC),
            )
        except ValidationFailed as exc:
            raise _fail(exc) from exc
        db.session.commit()
        click.echo(f"moderator {added.email} added for {', '.join(site_slugs)}")


@moderator.command("list")
def moderator_list() -> None:
    """List moderators and their sites."""
    app = _app()
    with app.app_context():
        for summary in moderators.list_moderators(db.session):
            state = "" if summary.is_active else "\tinactive"
            click.echo(f"{summary.email}\t{' '.join(summary.site_slugs)}{state}")


@moderator.command("passwd")
@click.argument("email")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input.")
def moderator_passwd(email: str, password_stdin: bool) -> None:
    """Set a moderator's password."""
    app = _app()
    settings: Settings = app.extensions["comments_settings"]
    password = _read_password(password_stdin, settings)
    with app.app_context():
        try:
            moderators.set_password(db.session, email, password, settings.moderation)
        except ValidationFailed as exc:
            raise _fail(exc) from exc
        db.session.commit()
        click.echo("password changed")


@moderator.command("token")
@click.argument("email")
def moderator_token(email: str) -> None:
    """Mint an API token (Authorization: Bearer ...). It is shown once, stored hashed."""
    app = _app()
    with app.app_context():
        try:
            token = moderators.mint_token(db.session, email, datetime.now(UTC))
        except ValidationFailed as exc:
            raise _fail(exc) from exc
        db.session.commit()
        click.echo(token)


@moderator.command("revoke-tokens")
@click.argument("email")
def moderator_revoke_tokens(email: str) -> None:
    """Revoke every API token of a moderator."""
    app = _app()
    with app.app_context():
        try:
            count = moderators.revoke_tokens(db.session, email)
        except ValidationFailed as exc:
            raise _fail(exc) from exc
        db.session.commit()
        click.echo(f"{count} token{'s' if count != 1 else ''} revoked")
