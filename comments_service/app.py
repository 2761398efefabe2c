"""create_app(config): load settings, bind extensions, register blueprints and errors."""

from __future__ import annotations

import atexit
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from comments_service import (
    auth,
    json_responses,
    live,
    schema_migrations,
    sessions,
    translation,
)
from comments_service.admin import admin

# readers (issue 21): attaches its routes to moderation_api
from comments_service.api import (
    api,
    moderation_sign_in,  # noqa: F401
    thread_front,
)
from comments_service.api.moderation import moderation_api
from comments_service.config import MAX_ROW_ID, ROW_ID_DIGITS, ConfigError, Settings, load_settings
from comments_service.errors import register_error_handlers
from comments_service.events import EXTENSION as EVENTS_EXTENSION
from comments_service.events import EventBus
from comments_service.extensions import db
from comments_service.health import health
from comments_service.limits import configure_limiter, limiter
from comments_service.logs import configure_logging, install_request_ids
from comments_service.metrics import install_metrics
from comments_service.notify.moderation_pages import moderation_pages
from comments_service.notify.pages import pages
from comments_service.notify.reader_pages import reader_pages
from comments_service.services.notifications import NotificationSubscriber
from comments_service.services.page_cache import PageCache
from comments_service.services.sites import SiteCache
from comments_service.sign_in_pages import sign_in_pages
from comments_service.url_limit import UrlLengthLimit
from comments_service.web import web

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SECRET_FILE = "secret_key"  # noqa: S105 - a file name, not a secret


class RowIdConverter(IntegerConverter):
    """werkzeug's int converter, bounded to the ids the schema can hold.

    The bound lives in the regex, not only in ``max``: werkzeug notes that a path
    matched a rule for other methods before it asks the converter, so a bound
    checked only in ``to_python`` turned ``DELETE .../comments/99999999999/vote``
    into 405 instead of 404.
    """

    regex = ROW_ID_DIGITS

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(url_map, *args, **kwargs)


def _secret_key(settings: Settings, instance_path: Path) -> str:
    """The configured secret; in development, one generated once into the instance folder."""
    if settings.security.secret_key:
        return settings.security.secret_key
    if settings.is_production:
        raise ConfigError(
            "production needs a secret key: set COMMENTS_SECURITY_SECRET_KEY"
        )
    path = instance_path / SECRET_FILE
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _database_options(settings: Settings, instance_path: Path) -> tuple[str, dict[str, Any]]:
    url = settings.database.url or f"sqlite:///{instance_path / 'comments.db'}"
    if url.startswith("sqlite"):
        return url, {"connect_args": {"timeout": settings.database.sqlite_busy_timeout_ms / 1000}}
    options: dict[str, Any] = {
        "pool_pre_ping": True,
        "pool_size": settings.database.pool_size,
        "max_overflow": settings.database.max_overflow,
        "pool_timeout": settings.database.pool_timeout_s,
    }
    if url.startswith("postgresql"):
        options["connect_args"] = {
            "connect_timeout": settings.database.connect_timeout_s,
            "options": f"-c statement_timeout={settings.database.statement_timeout_ms}",
        }
    return url, options


def _front_engine(url: str, options: dict[str, Any], settings: Settings) -> Engine:
    """The thread front's own small pool of autocommit connections, not pinged on checkout.

    Its one read per request is then one round trip: the app's pool pings each
    connection it hands out and runs every read in a transaction (BEGIN, the ping,
    the query, ROLLBACK: four round trips). A connection the server dropped
    (a restart) fails that read; the front tries once more on a new connection
    (thread_front.py), so no reader sees it.
    """
    threads = max(1, settings.server.threads)
    return create_engine(url, **{
        **options, "pool_pre_ping": False, "isolation_level": "AUTOCOMMIT",
        "pool_size": threads, "max_overflow": threads,
    })


def _tune_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL for concurrent readers, a busy timeout for writers, and enforced foreign keys."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _check_notifications(settings: Settings) -> None:
    if settings.is_production and settings.notifications.enabled and not settings.server.public_url:
        raise ConfigError(
            "production with notifications needs server.public_url for the links in "
            "emails: set COMMENTS_SERVER_PUBLIC_URL"
        )


def _start_outbox_worker(app: Flask, settings: Settings) -> None:
    """The in-process outbox worker (notifications.worker = "thread"), stopped at exit."""
    from comments_service.notify.worker import OutboxWorker, WorkerThread

    with app.app_context():
        engine = db.engine
    worker = OutboxWorker(engine, settings, app.config["SECRET_KEY"], Path(app.instance_path))
    thread = WorkerThread(worker)
    thread.start()
    app.extensions["comments_outbox_worker"] = thread
    atexit.register(thread.stop)


def _new_flask_app(instance_path: str | Path | None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(instance_path) if instance_path else None,
        instance_relative_config=True,
    )
    # <int:...> in every route matches only ids a row can have (32-bit); a larger
    # number is an unknown URL (404), never an overflow inside the database driver.
    app.url_map.converters["int"] = RowIdConverter
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    return app


def _configure(app: Flask, settings: Settings) -> tuple[str, dict[str, Any]]:
    """Flask's config from the settings; returns the database URL and engine options."""
    instance = Path(app.instance_path)
    url, engine_options = _database_options(settings, instance)
    app.config.update(
        SECRET_KEY=_secret_key(settings, instance),
        SQLALCHEMY_DATABASE_URI=url,
        SQLALCHEMY_ENGINE_OPTIONS=engine_options,
        SQLALCHEMY_ECHO=settings.database.echo,
        MAX_CONTENT_LENGTH=settings.comments.max_request_bytes,
        JSON_SORT_KEYS=False,
    )
    json_responses.install(app)
    _check_notifications(settings)
    app.extensions["comments_settings"] = settings
    configure_limiter(app, settings)
    if settings.server.trusted_proxy_hops > 0:
        hops = settings.server.trusted_proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    return url, engine_options


def _bind_extensions(app: Flask, settings: Settings) -> Engine:
    """The database, migrations, request ids, metrics, sessions, moderators and limiter,
    in the order their request hooks must run; returns the app's engine."""
    db.init_app(app)
    schema_migrations.init_app(app, db, MIGRATIONS_DIR)
    install_request_ids(app)
    install_metrics(app)
    # moderation: admin sessions, CSRF, and g.is_moderator, which must be known
    # before the limiter's own before_request hook counts the request.
    sessions.install(app)
    auth.init_app(app, settings)
    limiter.init_app(app)
    translation.init_app(app)  # Flask-Babel: the pages' and the admin's language
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine, settings.database.sqlite_busy_timeout_ms)
    return engine


def _register_blueprints(app: Flask) -> None:
    app.register_blueprint(api)
    app.register_blueprint(moderation_api)  # moderation: /api/v1/moderation, bearer tokens
    app.register_blueprint(admin)  # moderation: /admin, server-rendered
    app.register_blueprint(health)
    app.register_blueprint(pages)
    app.register_blueprint(moderation_pages)  # a moderator notice's approve / hide links
    app.register_blueprint(reader_pages)  # readers' own data: /my-data
    app.register_blueprint(sign_in_pages)  # readers who sign in: the popup, /auth
    app.register_blueprint(web)
    register_error_handlers(app)


def _wire_events(app: Flask, settings: Settings) -> None:
    """What happens to comments (events.py): this app's own bus; notifications write
    outbox rows in the transaction, live updates (the broker between processes and the
    stream slots) publish after its commit."""
    events = EventBus()
    app.extensions[EVENTS_EXTENSION] = events
    NotificationSubscriber(settings.notifications, app.config["SECRET_KEY"]).subscribe(events)
    live.init_app(app, settings, events)


def _install_thread_front(
    app: Flask, settings: Settings, engine: Engine, url: str, engine_options: dict[str, Any]
) -> None:
    """The per-process site and page caches, and the front that answers unchanged thread
    pages (revalidations, pages already built) before Flask (thread_front.py)."""
    front_engine = engine if engine.dialect.name == "sqlite" else _front_engine(
        url, engine_options, settings)
    app.extensions["comments_front_engine"] = front_engine
    site_cache = SiteCache(settings.database.site_cache_seconds)
    page_cache = PageCache(settings.threads.page_cache_bytes)
    app.extensions["comments_site_cache"] = site_cache
    app.extensions["comments_page_cache"] = page_cache
    # An over-long URL is refused before Flask reads it. Inside the thread front, which
    # stays app.wsgi_app: it answers only thread pages it has cached, whose URLs are short.
    app.wsgi_app = UrlLengthLimit(  # type: ignore[method-assign]
        app.wsgi_app, settings.server.max_url_bytes)
    thread_front.install(app, front_engine, settings, site_cache, page_cache)


def create_app(
    config: Settings | Mapping[str, Mapping[str, Any]] | None = None,
    *,
    instance_path: str | Path | None = None,
) -> Flask:
    """Build the app. `config` is a Settings, or overrides laid over the TOML and env layers."""
    settings = config if isinstance(config, Settings) else load_settings(overrides=config)
    configure_logging(settings)
    app = _new_flask_app(instance_path)
    url, engine_options = _configure(app, settings)
    engine = _bind_extensions(app, settings)
    _register_blueprints(app)
    _wire_events(app, settings)
    _install_thread_front(app, settings, engine, url, engine_options)
    # The in-process outbox worker. Tests keep it off with
    # COMMENTS_NOTIFICATIONS_WORKER=none (tests/conftest.py) and drive the worker
    # themselves; CLI commands other than `serve` build their app with worker "none".
    notify = settings.notifications
    if notify.enabled and notify.worker == "thread" and not app.testing:
        _start_outbox_worker(app, settings)
    return app
