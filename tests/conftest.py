"""Shared fixtures: an app per test on a real database, SQLite always, PostgreSQL when set.

Tests that use `app`, `client` or `session` run once per database backend: on a
SQLite file, and on PostgreSQL when COMMENTS_TEST_POSTGRES_URL is set (CI sets
it). Each backend's schema is built once per run by the real migrations, and
every table is emptied between tests.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from comments_service import create_app
from comments_service.cli import migrate_database
from comments_service.extensions import db
from comments_service.models import Site
from comments_service.services import sites

# create_app starts no outbox worker thread in tests: they drive
# notify.worker.OutboxWorker themselves (one test starts the thread on purpose).
os.environ["COMMENTS_NOTIFICATIONS_WORKER"] = "none"

POSTGRES_URL = os.environ.get("COMMENTS_TEST_POSTGRES_URL", "")
REDIS_URL = os.environ.get("COMMENTS_TEST_REDIS_URL", "")
TABLES = (
    "outbox", "subscriptions", "notify_addresses", "reader_data_requests",
    # moderation
    "audit_log", "bans", "flags", "moderator_tokens", "moderator_sites", "moderators",
    # passages
    "passage_anchors",
    # readers who sign in
    "reader_tokens", "identities", "sign_in_link_uses",
    "votes",
    "comments", "threads", "sites",
)
SITE_ORIGIN = "https://news.example"

# Debian's chromium, driven by Playwright (which cannot download browsers here).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def base_overrides(url: str) -> dict[str, dict[str, Any]]:
    return {
        "database": {"url": url},
        "security": {"secret_key": "test-secret-key-not-for-production"},
        "limits": {"enabled": False},
        # API tests act as browsers (Origin headers) without the widget's form token;
        # tests/api/test_form_tokens.py and the widget's browser tests keep the default.
        "spam": {"form_token_required_for_browsers": False},
        # moderation: the cheapest Argon2id cost, so tests that sign in stay fast.
        "moderation": {"password_time_cost": 1, "password_memory_kib": 8,
                       "password_parallelism": 1},
    }


def sqlite_app_at(tmp_path: Path, revision: str) -> tuple[Flask, str]:
    """For migration tests: an app on a new SQLite file migrated up to `revision`,
    and the migrations folder (the caller works inside ``app.app_context()``)."""
    from flask_migrate import upgrade

    app = create_app(base_overrides(f"sqlite:///{tmp_path / 'migrating.db'}"),
                     instance_path=tmp_path / "instance")
    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory, revision=revision)
    return app, directory


def assert_schema_matches_models() -> None:
    """The migrated database has exactly the models' tables, columns and indexes; then the
    migration test's connections are let go (inside the app context)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []
    db.session.remove()
    db.engine.dispose()


def insert_site_and_thread(comments: int) -> None:
    """Site 1 with thread 1 ('a') counting `comments` visible comments, in raw SQL that
    holds at every revision (for rows written before a migration runs)."""
    db.session.execute(text(
        "INSERT INTO sites (id, slug, name, allowed_origins, settings, created_at) "
        "VALUES (1, 's', 'S', '[]', '{}', '2026-01-01 00:00:00')"))
    db.session.execute(text(
        "INSERT INTO threads (id, site_id, article_key, is_locked, total_count, "
        "visible_count, version, created_at) "
        "VALUES (1, 1, 'a', 0, :n, :n, :n, '2026-01-01 00:00:00')"), {"n": comments})


@contextmanager
def scratch_postgres_database(suffix: str) -> Iterator[str]:
    """A PostgreSQL database of its own (the test database's name + suffix), created
    empty and dropped afterwards: for tests that run servers in other processes."""
    base = make_url(POSTGRES_URL)
    name = f"{base.database}_{suffix}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _reset_postgres_schema(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated, empty database of each backend, built once per test run."""
    if request.param == "postgresql":
        if not POSTGRES_URL:
            pytest.skip("PostgreSQL: set COMMENTS_TEST_POSTGRES_URL to run (CI does)")
        url = POSTGRES_URL
        _reset_postgres_schema(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'comments.db'}"
    app = create_app(base_overrides(url), instance_path=tmp_path_factory.mktemp("instance"))
    migrate_database(app)
    with app.app_context():
        db.engine.dispose()
    return url


def _empty_tables(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
        else:
            for table in TABLES:
                db.session.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - fixed names
            # AUTOINCREMENT tables remember their largest id here: start again from 1,
            # as PostgreSQL's RESTART IDENTITY does.
            db.session.execute(text("DELETE FROM sqlite_sequence"))
        db.session.commit()


@pytest.fixture
def make_app(database_url: str, tmp_path: Path) -> Iterator[Any]:
    """Build an app on the test database with extra config overrides; emptied afterwards."""
    made: list[Flask] = []

    def build(**sections: dict[str, Any]) -> Flask:
        overrides = base_overrides(database_url)
        for name, values in sections.items():
            overrides.setdefault(name, {}).update(values)
        app = create_app(overrides, instance_path=tmp_path / f"instance{len(made)}")
        app.config["TESTING"] = True
        made.append(app)
        return app

    yield build
    for app in made:
        if app.config["SQLALCHEMY_DATABASE_URI"] == database_url:
            _empty_tables(app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        app.extensions["comments_front_engine"].dispose()


@pytest.fixture
def app(make_app: Any) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """The app's SQLAlchemy session inside an app context, for service-level tests."""
    with app.app_context():
        yield db.session


def create_news_site(app: Flask) -> str:
    """Create the site 'news', whose pages at https://news.example may post."""
    with app.app_context():
        sites.create_site(db.session, "news", "News", [SITE_ORIGIN], datetime.now(UTC))
        db.session.commit()
    return "news"


@pytest.fixture
def site(app: Flask) -> str:
    return create_news_site(app)


@pytest.fixture
def site_row(session: Session, site: str) -> Site:
    return sites.get_site(session, site)


@contextmanager
def count_queries(app: Flask) -> Iterator[list[str]]:
    """Collect the SQL statements run inside the block (the app's pool and the front's)."""
    statements: list[str] = []
    with app.app_context():
        engines = {db.engine, app.extensions["comments_front_engine"]}

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    # The thread front's lookup runs through the DBAPI, past SQLAlchemy's events: it is
    # recorded at its own boundary (and still runs).
    front = app.wsgi_app
    lookup = front.thread_state  # type: ignore[attr-defined]

    def looked_up(*args: Any) -> Any:
        statements.append(lookup.sql)
        return lookup(*args)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    front.thread_state = looked_up  # type: ignore[attr-defined]
    try:
        yield statements
    finally:
        front.thread_state = lookup  # type: ignore[attr-defined]
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


class Api:
    """Small client for the public API of one site, as a widget would use it."""

    def __init__(self, client: FlaskClient, site: str) -> None:
        self.client = client
        self.site = site

    def post(self, body: str = "Hello", article: str = "a1", **fields: Any) -> Any:
        payload = {"article": article, "body": body, **fields}
        return self.client.post(f"/api/v1/sites/{self.site}/comments", json=payload)

    def posted_id(self, body: str = "Hello", article: str = "a1", **fields: Any) -> int:
        response = self.post(body, article, **fields)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["comment"]["id"]

    def thread(self, article: str = "a1", **params: Any) -> Any:
        return self.client.get(
            f"/api/v1/sites/{self.site}/thread", query_string={"article": article, **params}
        )


@pytest.fixture
def api(client: FlaskClient, site: str) -> Api:
    return Api(client, site)


@pytest.fixture
def site_factory() -> Any:
    """For tests that build their own app (make_app): add the news site, get an Api."""

    def build(app: Flask) -> Api:
        return Api(app.test_client(), create_news_site(app))

    return build


# ---- moderation -------------------------------------------------------------------

MODERATOR_PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class ModeratorLogin:
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def add_moderator(app: Flask, email: str, *site_slugs: str) -> ModeratorLogin:
    """A moderator of these sites, with a password and an API token."""
    from comments_service.services import moderators

    settings = app.extensions["comments_settings"]
    with app.app_context():
        moderators.create_moderator(db.session, email, MODERATOR_PASSWORD, list(site_slugs),
                                    settings.moderation, datetime.now(UTC))
        token = moderators.mint_token(db.session, email, datetime.now(UTC))
        db.session.commit()
    return ModeratorLogin(email=email, password=MODERATOR_PASSWORD, token=token)


def create_other_site(app: Flask, slug: str = "sports") -> str:
    with app.app_context():
        sites.create_site(db.session, slug, slug.title(), [f"https://{slug}.example"],
                          datetime.now(UTC))
        db.session.commit()
    return slug


@pytest.fixture
def moderator(app: Flask, site: str) -> ModeratorLogin:
    """mod@news.example, moderator of the site "news"."""
    return add_moderator(app, "mod@news.example", site)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One chromium for the whole run, shared by every browser test (the widget's, the
    admin's, the readers' data pages'): Playwright's sync API allows one at a time."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


# ---- readers who sign in (issue 21) -------------------------------------------------

# The loopback OpenID provider (oidc-provider-mock); the port is from this suite's range.
# Helpers testing side by side each set their own free port.
OIDC_PORT = int(os.environ.get("COMMENTS_TEST_OIDC_PORT", "18310"))
OIDC_ISSUER = f"http://localhost:{OIDC_PORT}"


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[str]:
    """A real OpenID Connect provider on loopback (oidc-provider-mock, in a thread), with
    one predefined reader, alice; its issuer URL."""
    with warnings.catch_warnings():
        # The provider (not our code) imports Authlib modules that Authlib 1.9 deprecates
        # (authlib.jose, its httpx client); its one deprecated call while serving is
        # ignored in pyproject.toml.
        warnings.simplefilter("ignore", DeprecationWarning)
        from oidc_provider_mock import User, run_server_in_thread

    alice = User(sub="alice", claims={
        "name": "Alice Liddell", "email": "alice@example.org", "email_verified": True,
        "picture": "https://img.example/alice.png"})
    with run_server_in_thread(port=OIDC_PORT, require_nonce=True, user_claims=[alice]):
        yield OIDC_ISSUER
