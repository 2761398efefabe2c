"""The `comments-service` command: serve, migrate, sites, worker, outbox, webhook,
import, export."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import click
from flask import Flask
from sqlalchemy import select

from comments_service.app import create_app
from comments_service.config import ConfigError, Settings, load_settings, replace_section
from comments_service.errors import ApiError, SiteNotFound, ValidationFailed
from comments_service.extensions import db
from comments_service.importers import disqus, isso, jsonfile, loader, wordpress
from comments_service.importers.loader import ImportReport
from comments_service.importers.records import ImportFileError, KeyFrom, Record
from comments_service.models import Site
from comments_service.services import export, moderators, outbox, sites, webhooks


def _app(settings: Settings | None = None, *, with_worker: bool = False) -> Flask:
    """The app for a command; the in-process outbox worker only where asked (serve)."""
    settings = settings or load_settings()
    if not with_worker:
        settings = replace_section(settings, "notifications", worker="none")
    try:
        return create_app(settings)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


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
    with app.app_context():
        db.engine.dispose()  # no pooled connection is inherited by the forked workers

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{settings.server.host}:{settings.server.port}")
            self.cfg.set("workers", settings.server.workers)
            self.cfg.set("threads", settings.server.threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("accesslog", "-")
            # gunicorn's own ceiling (1 MiB): [server] max_url_bytes answers first, as JSON.
            self.cfg.set("limit_request_line", 0)

        def load(self) -> Flask:
            # Built in each gunicorn worker, after the fork: its own connection pool
            # and, with notifications.worker = "thread", its own outbox worker thread.
            return _app(settings, with_worker=True)

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
@click.option("--note", default=None, help="Why; kept in the audit log.")
def update_site(slug: str, name: str | None, origins: tuple[str, ...], added: tuple[str, ...],
                removed: tuple[str, ...], premoderation: bool | None,
                flag_threshold: int | None, downvotes: bool | None, note: str | None) -> None:
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
                downvotes=downvotes, note=note)
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


class _ReadingBar:
    """A file object that moves a progress bar as the importer reads it."""

    def __init__(self, raw: IO[bytes], bar: Any) -> None:
        self._raw = raw
        self._bar = bar

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._bar.update(len(data))
        return data


class _WritingBar:
    """The loader's progress, as a click progress bar (on a terminal only)."""

    def __init__(self, label: str) -> None:
        self._label = label
        self._bar: Any = None

    def writing(self, total: int) -> None:
        self._bar = click.progressbar(length=total, label=self._label, file=sys.stderr)
        self._bar.__enter__()

    def written(self, count: int) -> None:
        self._bar.update(count)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


def _show_report(report: ImportReport) -> None:
    statuses = ", ".join(f"{n} {status}" for status, n in sorted(report.imported_by_status.items()))
    click.echo(
        f"imported {report.comments_imported} comments ({statuses or 'none'}); "
        f"{report.threads_created} new threads; "
        f"{report.already_present} already present; {len(report.skipped)} skipped"
    )
    if report.emails_dropped or report.websites_dropped or report.anchors_dropped:
        click.echo(
            f"left out as invalid: {report.emails_dropped} email addresses, "
            f"{report.websites_dropped} websites, {report.anchors_dropped} passage anchors"
        )
    for item in report.skipped:
        click.echo(f"skipped {item.source_id}: {item.reason}")


def _run_import(
    slug: str, path: Path, read: Callable[[Any], Iterable[Record]], *, opens_file: bool = True
) -> None:
    """Import the records ``read`` yields from path into site ``slug``, with progress."""
    app = _app()
    settings: Settings = app.extensions["comments_settings"]
    is_tty = sys.stdout.isatty()
    with app.app_context():
        try:
            site = sites.get_site(db.session, slug)
        except SiteNotFound as exc:
            raise click.ClickException(
                f"no site {slug!r}: create it first with `comments-service create-site`"
            ) from exc
        writing = _WritingBar("writing comments") if is_tty else None
        with contextlib.ExitStack() as stack:
            source: Any = path
            if opens_file:
                source = stack.enter_context(path.open("rb"))
                if is_tty:
                    bar = stack.enter_context(
                        click.progressbar(
                            length=path.stat().st_size, label="reading", file=sys.stderr
                        )
                    )
                    source = _ReadingBar(source, bar)
            try:
                report = loader.load(
                    db.session,
                    site,
                    read(source),
                    rules=settings.comments,
                    settings=settings.importing,
                    secret=app.config["SECRET_KEY"],
                    progress=writing,
                )
            except ImportFileError as exc:
                raise click.ClickException(f"{path}: {exc}") from exc
            finally:
                if writing is not None:
                    writing.close()
    _show_report(report)


_FILE = click.argument(
    "file", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
_SITE = click.option("--site", "slug", required=True, help="Slug of the site to import into.")
_KEY_FROM = click.option(
    "--key-from",
    type=click.Choice([key.value for key in KeyFrom]),
    default=KeyFrom.URL_PATH.value,
    show_default=True,
    help="What becomes a thread's article key: the path (and query) of the page's URL, "
    "the source's own identifier, or the whole URL.",
)


@main.group("import")
def import_group() -> None:
    """Import comments from Disqus, WordPress, Isso, or an export of this service.

    Running the same import again adds nothing; every skipped item is listed.
    """


@import_group.command("disqus")
@_FILE
@_SITE
@_KEY_FROM
def import_disqus(file: Path, slug: str, key_from: str) -> None:
    """Import a Disqus export (XML) into a site; identifier = the thread's <id>."""
    _run_import(slug, file, lambda source: disqus.read_disqus(source, KeyFrom(key_from)))


@import_group.command("wordpress")
@_FILE
@_SITE
@_KEY_FROM
def import_wordpress(file: Path, slug: str, key_from: str) -> None:
    """Import a WordPress export (WXR) into a site; identifier = the post's wp:post_id."""
    _run_import(slug, file, lambda source: wordpress.read_wordpress(source, KeyFrom(key_from)))


@import_group.command("isso")
@_FILE
@_SITE
@_KEY_FROM
def import_isso(file: Path, slug: str, key_from: str) -> None:
    """Import an Isso database (its SQLite file, read-only) into a site."""
    _run_import(
        slug, file, lambda path: isso.read_isso(path, KeyFrom(key_from)), opens_file=False
    )


@import_group.command("json")
@_FILE
@_SITE
def import_json(file: Path, slug: str) -> None:
    """Import a file written by `comments-service export` into a site."""
    _run_import(slug, file, jsonfile.read_export)


@main.command("export")
@click.option("--site", "slug", required=True, help="Slug of the site to export.")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export_command(slug: str, file: Path) -> None:
    """Write every thread and comment of a site to FILE (JSON, emails included: keep it private).

    The file appears complete or not at all: it is written beside FILE and renamed.
    """
    app = _app()
    with app.app_context():
        try:
            site = sites.get_site(db.session, slug)
        except SiteNotFound as exc:
            raise click.ClickException(f"no site {slug!r}") from exc
        partial = file.with_name(f".{file.name}.partial")
        try:
            with partial.open("w", encoding="utf-8") as out:
                summary = export.export_site(db.session, site, out, datetime.now(UTC))
            partial.replace(file)
        finally:
            partial.unlink(missing_ok=True)
    click.echo(f"exported {summary.comments} comments in {summary.threads} threads to {file}")


if __name__ == "__main__":
    main()


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
