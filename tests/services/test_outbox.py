"""services/outbox.py: claims, leases, backoff and dead rows, without sending anything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from comments_service.errors import OutboxRowNotFound
from comments_service.extensions import db
from comments_service.models import OutboxMessage
from comments_service.services import outbox
from comments_service.services.outbox import NewMessage, RetryPolicy

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=3, base_seconds=30, max_seconds=100)


def _queue(session: Session, count: int) -> None:
    outbox.add(session, [
        NewMessage("confirm", f"k{i}", f"r{i}@example.com", {"n": i}) for i in range(count)
    ], NOW)
    session.commit()


def test_same_dedupe_key_is_queued_once(session):
    _queue(session, 2)
    _queue(session, 3)
    assert len(session.execute(select(OutboxMessage)).scalars().all()) == 3


def test_a_claimed_row_is_not_claimed_again_until_its_lease_expires(session):
    _queue(session, 1)
    [first] = outbox.claim_due(session, NOW, lease_seconds=60, limit=10)
    session.commit()
    assert outbox.claim_due(session, NOW + timedelta(seconds=59), lease_seconds=60,
                            limit=10) == []
    [again] = outbox.claim_due(session, NOW + timedelta(seconds=61), lease_seconds=60, limit=10)
    session.commit()
    assert (again.id, again.attempts) == (first.id, 2)

    # The worker whose lease ran out comes back: its mark changes nothing.
    outbox.mark_sent(session, first, NOW)
    session.commit()
    assert session.get(OutboxMessage, first.id).status == "pending"
    outbox.mark_sent(session, again, NOW)
    session.commit()
    session.expire_all()
    assert session.get(OutboxMessage, first.id).status == "sent"


def test_failures_back_off_exponentially_then_the_row_is_dead(session):
    _queue(session, 1)
    now = NOW
    waits = []
    for _ in range(3):
        [claimed] = outbox.claim_due(session, now, lease_seconds=60, limit=1)
        status = outbox.mark_failed(session, claimed, "SMTPServerDisconnected", now, POLICY)
        session.commit()
        row = session.get(OutboxMessage, claimed.id)
        session.refresh(row)
        waits.append(row.next_attempt_at - now)
        now = row.next_attempt_at
    assert status == "dead"
    assert waits[:2] == [timedelta(seconds=30), timedelta(seconds=60)]
    assert RetryPolicy(9, 30, 100).delay(5) == timedelta(seconds=100)
    assert outbox.claim_due(session, now + timedelta(days=1), lease_seconds=60, limit=1) == []
    [dead] = outbox.list_dead(session)
    assert (dead.attempts, dead.last_error) == (3, "SMTPServerDisconnected")


def test_a_row_is_not_due_before_its_next_attempt(session):
    _queue(session, 1)
    [claimed] = outbox.claim_due(session, NOW, lease_seconds=60, limit=1)
    outbox.mark_failed(session, claimed, "x", NOW, POLICY)
    session.commit()
    assert outbox.claim_due(session, NOW + timedelta(seconds=29), lease_seconds=60,
                            limit=1) == []
    assert len(outbox.claim_due(session, NOW + timedelta(seconds=30), lease_seconds=60,
                                limit=1)) == 1


def test_retry_of_a_row_that_is_not_dead_is_refused(session):
    _queue(session, 1)
    row_id = session.execute(select(OutboxMessage.id)).scalar_one()
    with pytest.raises(OutboxRowNotFound):
        outbox.retry(session, row_id, NOW)
    with pytest.raises(OutboxRowNotFound):
        outbox.retry(session, 999_999, NOW)


def test_claim_skips_rows_another_worker_has_locked_on_postgresql(app, session):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("FOR UPDATE SKIP LOCKED is PostgreSQL's; SQLite has one writer at a time")
    _queue(session, 6)
    with app.app_context():
        engine = db.engine
    # Another worker is in the middle of claiming the first three rows.
    with engine.connect() as other:
        other.execute(text("SELECT id FROM outbox ORDER BY id LIMIT 3 FOR UPDATE"))
        # Without SKIP LOCKED this claim would wait on those rows: fail fast instead.
        session.execute(text("SET LOCAL lock_timeout = '2s'"))
        claimed = outbox.claim_due(session, NOW, lease_seconds=60, limit=3)
        session.commit()
        other.rollback()
    assert [c.payload["n"] for c in claimed] == [3, 4, 5]
