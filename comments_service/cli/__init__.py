"""The `comments-service` command: serve, migrate, sites, worker, outbox, webhook,
import and export (cli/imports.py), moderator (cli/moderators.py)."""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask
from sqlalchemy import select

from comments_service import web
from comments_service.app import create_app
from comments_service.cli import serving
from comments_service.config import ConfigError, Settings, load_settings, replace_section
from comments_service.errors import ApiError, SiteNotFound, ValidationFailed
from comments_service.extensions import db
from comments_service.models import Site
from comments_service.services import outbox, sites, webhooks


def _app(settings: Settings | None = None, *, with_worker: bool = False) -> Flask:
    """The app for a command; the in-process outbox worker only where asked (serve)."""
    settings = settings or load_settings()
    if not with_worker:
        settings = replace_section(settings, "notifications", worker="none")
    try:
        return create_app(settings)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def _fail(exc: ValidationFailed) -> click.ClickException:
    """A service's refusal as the command's error: each field with its message."""
    return click.ClickException("; ".join(f"{k}: {v}" for k, v in exc.fields.items()))


def migrate_database(app: Flask) -> None:
    """Bring the schema to the newest migration (creating it on first start)."""
    from flask_migrate import upgrade  # Alembic only where migrating (schema_migrations.py)

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


def _prepare_database(settings: Settings, base_url: str, migrate: bool) -> None:
    """What `serve` does before gunicorn starts: migrate, then the demo site."""
    app = _app(settings)
    if migrate:
        migrate_database(app)
    if settings.demo.enabled:
        ensure_demo_site(app, base_url)
    with app.app_context():
        db.engine.dispose()


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
    options = serving.prepare(settings)
    base_url = f"http://{settings.server.host}:{settings.server.port}"
    # The master never builds the app: the schema and the demo site are made in a child
    # process, so no database driver, pool, lock or timer exists before gunicorn forks
    # its workers (and gevent patches them) - see cli/serving.py.
    serving.in_child_process(_prepare_database, settings, base_url, not no_migrate)

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            # Built in each gunicorn worker, after the fork (and gevent's patching): its
            # own connection pool, broker, locks and queues and, with
            # notifications.worker = "thread", its own outbox worker (a greenlet under
            # gevent). The widget's files are minified and compressed before the first
            # reader.
            app = _app(settings, with_worker=True)
            web.prepare_widget(app)
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


@main.command("update-site")
@click.argument("slug")
@click.option("--name", default=None, help="New display name.")
@click.option("--origin", "origins", multiple=True,
              help="Replace the allowed origins with these (repeatable).")
@click.option("--add-origin", "added", multiple=True, help="Allow one more origin (repeatable).")
@click.option("--remove-origin", "removed", multiple=True, help="Stop allowing an origin.")
@click.option("--premoderation/--no-premoderation", default=None,
              help="Hold every new comment for approval.")
@click.option("--flag-threshold", type=int, default=None,
              help="Readers' flags that hide a comment (0: never).")
@click.option("--downvotes/--no-downvotes", default=None, help="Take down votes.")
@click.option("--languages", default=None,
              help='Languages offered to readers, the site\'s own first ("de fr"; "": all).')
@click.option("--note", default=None, help="Why; kept in the audit log.")
def update_site(slug: str, name: str | None, origins: tuple[str, ...], added: tuple[str, ...],
                removed: tuple[str, ...], premoderation: bool | None,
                flag_threshold: int | None, downvotes: bool | None, languages: str | None,
                note: str | None) -> None:
    """Edit a site: its name, allowed origins and moderation settings (audited as 'cli')."""
    app = _app()
    settings: Settings = app.extensions["comments_settings"]
    with app.app_context():
        try:
            site = sites.get_site(db.session, slug)
            wanted = list(origins) if origins else list(site.allowed_origins or [])
            gone = {sites.normalize_origin(origin) or origin for origin in removed}
            wanted = [o for o in wanted if (sites.normalize_origin(o) or o) not in gone]
            changes = sites.SiteChanges(
                name=name, origins=(*wanted, *added) if origins or added or removed else None,
                premoderation=premoderation, flag_threshold=flag_threshold,
                downvotes=downvotes, note=note,
                languages=tuple(languages.replace(",", " ").split())
                if languages is not None else None)
            sites.update_site(db.session, sites.console_actor(site), site, changes,
                              rules=settings.moderation, votes=settings.votes,
                              now=datetime.now(UTC))
        except ValidationFailed as exc:
            raise _fail(exc) from exc
        except SiteNotFound as exc:
            raise click.ClickException(f"no site {slug!r}") from exc
        db.session.commit()
        click.echo(f"site {site.slug} ({site.name}); origins: "
                   f"{', '.join(site.allowed_origins) or '-'}; settings: {site.settings or {}}")


@main.command("list-sites")
def list_sites() -> None:
    """List sites and their allowed origins."""
    app = _app()
    with app.app_context():
        for site in db.session.execute(select(Site).order_by(Site.slug)).scalars():
            click.echo(f"{site.slug}\t{site.name}\t{' '.join(site.allowed_origins)}")


# ---- notifications (issue 5): worker, outbox, webhooks -------------------------------


@main.command()
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
def worker(once: bool) -> None:
    """Deliver the outbox (emails, webhooks) until stopped; run any number of these."""
    from comments_service.notify.worker import OutboxWorker

    settings = load_settings()
    if not settings.notifications.enabled:
        raise click.ClickException("notifications are off ([notifications] enabled = false)")
    app = _app(settings)
    with app.app_context():
        engine = db.engine
    delivery = OutboxWorker(engine, settings, app.config["SECRET_KEY"], Path(app.instance_path))
    if once:
        claimed = delivery.run_until_idle()
        click.echo(f"outbox: {claimed} messages tried")
        return
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    click.echo("outbox worker running; stop with Ctrl-C (the message in hand is finished)")
    delivery.run_forever(stop)


def _masked(recipient: str) -> str:
    """An email address shown with its local part hidden; URLs as they are."""
    if "@" not in recipient or "://" in recipient:
        return recipient
    local, domain = recipient.rsplit("@", 1)
    return f"{local[:1]}***@{domain}"


@main.group("outbox")
def outbox_group() -> None:
    """Inspect the notification outbox."""


@outbox_group.command("status")
def outbox_status() -> None:
    """Messages per status (pending, sent, dead, cancelled)."""
    app = _app()
    with app.app_context():
        counts = outbox.count_by_status(db.session)
    for status in ("pending", "sent", "dead", "cancelled"):
        click.echo(f"{status}\t{counts.get(status, 0)}")


@outbox_group.command("dead")
@click.option("--limit", type=int, default=100, show_default=True)
def outbox_dead(limit: int) -> None:
    """Messages that used up their tries, newest first."""
    app = _app()
    with app.app_context():
        rows = outbox.list_dead(db.session, limit)
    if not rows:
        click.echo("no dead messages")
    for row in rows:
        created = row.created_at.isoformat(timespec="seconds")
        click.echo(f"{row.id}\t{row.kind}\t{_masked(row.recipient)}\t{row.attempts} tries"
                   f"\t{created}\t{row.last_error or ''}")


@outbox_group.command("retry")
@click.argument("message_id", type=int)
def outbox_retry(message_id: int) -> None:
    """Give a dead (or cancelled) message a fresh set of tries, due now."""
    app = _app()
    with app.app_context():
        try:
            outbox.retry(db.session, message_id, datetime.now(UTC))
        except ApiError as exc:
            raise click.ClickException(exc.message) from exc
        db.session.commit()
    click.echo(f"message {message_id} queued again")


@outbox_group.command("purge")
def outbox_purge() -> None:
    """Delete sent/cancelled messages past notifications.retention_days, and expired
    reader-data requests (workers also do this hourly)."""
    from comments_service.notify.worker import OutboxWorker

    app = _app()
    with app.app_context():
        worker = OutboxWorker(db.engine, app.extensions["comments_settings"],
                              app.config["SECRET_KEY"], Path(app.instance_path))
        rows, requests = worker.purge_old()
    click.echo(f"deleted {rows} finished outbox messages and {requests} expired "
               "reader-data requests")


@main.group("webhook")
def webhook_group() -> None:
    """A site's webhooks: signed POSTs for each new visible comment."""


def _site_or_fail(slug: str) -> Site:
    try:
        return sites.get_site(db.session, slug)
    except ApiError as exc:
        raise click.ClickException(f"no site {slug!r}") from exc


@webhook_group.command("add")
@click.argument("slug")
@click.argument("url")
def webhook_add(slug: str, url: str) -> None:
    """Add URL to site SLUG and print its signing secret (shown this once)."""
    app = _app()
    with app.app_context():
        site = _site_or_fail(slug)
        try:
            hook = webhooks.add_webhook(db.session, site, url)
        except ValidationFailed as exc:
            raise click.ClickException("; ".join(exc.fields.values())) from exc
        db.session.commit()
    click.echo(f"webhook {hook.url} added to {slug}")
    click.echo(f"secret: {hook.secret}")
    click.echo("verify X-Comments-Signature: sha256=HMAC-SHA256(secret, raw body), hex")


@webhook_group.command("list")
@click.argument("slug")
def webhook_list(slug: str) -> None:
    """List the webhook URLs of site SLUG (not their secrets)."""
    app = _app()
    with app.app_context():
        for hook in webhooks.list_webhooks(_site_or_fail(slug)):
            click.echo(hook.url)


@webhook_group.command("remove")
@click.argument("slug")
@click.argument("url")
def webhook_remove(slug: str, url: str) -> None:
    """Remove URL from site SLUG; its queued calls are cancelled."""
    app = _app()
    with app.app_context():
        if not webhooks.remove_webhook(db.session, _site_or_fail(slug), url):
            raise click.ClickException(f"site {slug!r} has no webhook {url}")
        db.session.commit()
    click.echo(f"webhook {url} removed from {slug}")




# ---- moving in and out: import, export ----------------------------------------


# Command groups of their own modules register on main: imports and export
# (cli/imports.py), moderator accounts (cli/moderators.py).
from comments_service.cli import imports, moderators  # noqa: E402, F401
