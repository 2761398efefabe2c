"""Retention: delivered notifications and expired reader-data links do not keep addresses.

The worker (hourly, and `comments-service outbox purge`) deletes sent and
cancelled outbox rows past notifications.retention_days and reader-data requests
past their expiry; pending and dead rows, and anything recent, stay.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from comments_service.extensions import db
from comments_service.models import OutboxMessage, OutboxStatus, ReaderDataRequest
from comments_service.services import outbox
from comments_service.services.outbox import NewMessage
from tests.notify.conftest import make_worker

DAY = timedelta(days=1)


def _queue(app: Any, key: str, status: str, age: timedelta) -> None:
    """An outbox row queued `age` ago, in `status`."""
    created = datetime.now(UTC) - age
    with app.app_context():
        outbox.add(db.session, [NewMessage("confirm", key, f"{key}@example.com",
                                           {"address_hash": "0" * 64, "thread_id": 1})],
                   created)
        db.session.execute(update(OutboxMessage).where(OutboxMessage.dedupe_key == key)
                           .values(status=status))
        db.session.commit()


def _keys(app: Any) -> set[str]:
    with app.app_context():
        return set(db.session.execute(select(OutboxMessage.dedupe_key)).scalars())


def _request(app: Any, site_id: int, expires_in: timedelta) -> None:
    now = datetime.now(UTC)
    with app.app_context():
        db.session.add(ReaderDataRequest(site_id=site_id, email="r@example.com",
                                         address_hash="0" * 64, nonce="0" * 32,
                                         created_at=now, expires_at=now + expires_in))
        db.session.commit()


def _requests(app: Any) -> int:
    with app.app_context():
        return len(db.session.execute(select(ReaderDataRequest)).all())


def _site_id(app: Any) -> int:
    from comments_service.services import sites

    with app.app_context():
        return sites.get_site(db.session, "news").id


def test_finished_rows_past_retention_go_and_everything_else_stays(
    notify_app: Any, site_factory: Any
) -> None:
    """Sent and cancelled rows older than retention_days are deleted; pending and dead rows
    of any age and finished rows within the period are kept; expired requests go."""
    app = notify_app(retention_days=30)
    site_factory(app)
    _queue(app, "old-sent", OutboxStatus.SENT.value, 31 * DAY)
    _queue(app, "old-cancelled", OutboxStatus.CANCELLED.value, 31 * DAY)
    _queue(app, "old-dead", OutboxStatus.DEAD.value, 31 * DAY)
    _queue(app, "old-pending", OutboxStatus.PENDING.value, 31 * DAY)
    _queue(app, "recent-sent", OutboxStatus.SENT.value, 29 * DAY)
    _request(app, _site_id(app), -timedelta(seconds=1))
    _request(app, _site_id(app), timedelta(hours=1))

    # The pending row is due, so keep the worker from sending: only purge here.
    assert make_worker(app).purge_old() == (2, 1)
    assert _keys(app) == {"old-dead", "old-pending", "recent-sent"}
    assert _requests(app) == 1


def test_retention_zero_keeps_outbox_rows_forever(notify_app: Any, site_factory: Any) -> None:
    """retention_days = 0: no outbox row is ever deleted (expired links still are)."""
    app = notify_app(retention_days=0)
    site_factory(app)
    _queue(app, "ancient", OutboxStatus.SENT.value, 3650 * DAY)
    assert make_worker(app).purge_old() == (0, 0)
    assert _keys(app) == {"ancient"}


def test_a_running_worker_purges_when_it_starts(notify_app: Any, site_factory: Any) -> None:
    """run_forever purges on its first turn (then hourly) before delivering."""
    app = notify_app(retention_days=30, poll_interval_seconds=0.05)
    site_factory(app)
    _queue(app, "old-sent", OutboxStatus.SENT.value, 31 * DAY)
    worker = make_worker(app)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(stop,))
    thread.start()
    try:
        for _ in range(200):
            if not _keys(app):
                break
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(10)
    assert _keys(app) == set()


def test_the_purge_command_reports_what_it_deleted(
    tmp_path: Any, monkeypatch: Any
) -> None:
    """`comments-service outbox purge` runs the same purge on demand and says how much."""
    from click.testing import CliRunner

    from comments_service.cli import main

    monkeypatch.setenv("COMMENTS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("COMMENTS_SECURITY_SECRET_KEY", "cli-test-secret")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["migrate"]).exit_code == 0
    result = runner.invoke(main, ["outbox", "purge"])
    assert result.exit_code == 0, result.output
    assert "deleted 0 finished outbox messages and 0 expired reader-data requests" in result.output
