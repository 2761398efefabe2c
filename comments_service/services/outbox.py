"""The outbox: notifications written with what caused them, delivered by workers.

A row is added in the caller's transaction (so a rolled-back comment never
notifies anyone) and delivered later by `notify.worker`. Delivery is
at-least-once: a row is marked sent only after its send succeeded, so a worker
that dies between the two leaves a claimed row whose lease expires and which is
sent again, with the same Message-ID (emails) or delivery id (webhooks) so the
receiver can tell it is the same message. Nothing here talks to the network.

Claiming is one UPDATE whose WHERE only matches unclaimed rows or rows whose
lease expired; on PostgreSQL its candidate rows are picked with
``FOR UPDATE SKIP LOCKED`` so concurrent workers take disjoint batches without
waiting on each other. On SQLite the UPDATE takes the database's write lock,
which makes the same statement atomic.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from comments_service.errors import OutboxRowNotFound
from comments_service.models import OutboxMessage, OutboxStatus

LAST_ERROR_CHARS = 500


@dataclass(frozen=True)
class NewMessage:
    """An outbox row to add: what kind, to whom, and the ids its sender needs."""

    kind: str
    dedupe_key: str
    recipient: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class ClaimedMessage:
    """A row this worker holds (until it marks it, or its lease runs out)."""

    id: int
    kind: str
    recipient: str
    payload: dict[str, Any]
    attempts: int
    claim_token: str
    created_at: datetime


@dataclass(frozen=True)
class DeadMessage:
    id: int
    kind: str
    recipient: str
    attempts: int
    last_error: str | None
    created_at: datetime


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base_seconds: int
    max_seconds: int

    def delay(self, attempts: int) -> timedelta:
        """Wait before the next try after `attempts` failed ones: base * 2^(n-1), capped."""
        seconds = self.base_seconds * 2 ** max(attempts - 1, 0)
        return timedelta(seconds=min(seconds, self.max_seconds))


def add(session: Session, messages: Sequence[NewMessage], now: datetime) -> None:
    """Queue messages in the caller's transaction; one already queued (same dedupe_key) is kept.

    The duplicate check is the database's (ON CONFLICT DO NOTHING on the unique
    dedupe_key), so two transactions queueing the same notification add one row.
    """
    if not messages:
        return
    rows = [
        {
            "kind": m.kind,
            "dedupe_key": m.dedupe_key,
            "recipient": m.recipient,
            "payload": m.payload,
            "status": OutboxStatus.PENDING.value,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for m in messages
    ]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(OutboxMessage).on_conflict_do_nothing(
            index_elements=["dedupe_key"]), rows)
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(sqlite_insert(OutboxMessage).on_conflict_do_nothing(
            index_elements=["dedupe_key"]), rows)
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        keys = [m.dedupe_key for m in messages]
        taken = set(session.execute(
            select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys))
        ).scalars())
        fresh = [row for row in rows if row["dedupe_key"] not in taken]
        if fresh:
            session.execute(insert(OutboxMessage), fresh)


def _is_claimable(now: datetime, lease_seconds: int) -> Any:
    expired = now - timedelta(seconds=lease_seconds)
    return (
        (OutboxMessage.status == OutboxStatus.PENDING.value)
        & (OutboxMessage.next_attempt_at <= now)
        & or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at < expired)
    )


def claim_due(
    session: Session, now: datetime, *, lease_seconds: int, limit: int
) -> list[ClaimedMessage]:
    """Claim up to `limit` due rows for this caller and return them; the caller commits.

    Each try counts when it is claimed, so a message whose sending keeps
    crashing the worker still ends dead instead of looping forever. Two
    concurrent callers never get the same row while its lease runs.
    """
    token = secrets.token_hex(16)
    candidates = (
        select(OutboxMessage.id)
        .where(_is_claimable(now, lease_seconds))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    session.execute(
        update(OutboxMessage)
        # Checked again in the UPDATE itself: a row another worker claimed
        # between the subquery's snapshot and this statement is not taken twice.
        .where(OutboxMessage.id.in_(candidates.scalar_subquery()),
               _is_claimable(now, lease_seconds))
        .values(claimed_at=now, claim_token=token, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    # Columns, not entities: an instance this session loaded earlier would keep
    # its old attempts and claim_token.
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.recipient,
               OutboxMessage.payload, OutboxMessage.attempts, OutboxMessage.created_at)
        .where(OutboxMessage.claim_token == token)
        .order_by(OutboxMessage.id)
    ).all()
    return [
        ClaimedMessage(
            id=row.id, kind=row.kind, recipient=row.recipient, payload=dict(row.payload),
            attempts=row.attempts, claim_token=token, created_at=row.created_at,
        )
        for row in rows
    ]


def _held(message: ClaimedMessage) -> Any:
    # Marks apply only while this claim holds: after a lease expired and another
    # worker re-claimed the row, the late first worker changes nothing.
    return (OutboxMessage.id == message.id) & (OutboxMessage.claim_token == message.claim_token)


def mark_sent(session: Session, message: ClaimedMessage, now: datetime) -> None:
    """Record a successful send. The caller commits."""
    session.execute(
        update(OutboxMessage).where(_held(message))
        .values(status=OutboxStatus.SENT.value, sent_at=now, claimed_at=None, last_error=None)
        .execution_options(synchronize_session=False)
    )


def mark_cancelled(session: Session, message: ClaimedMessage, reason: str) -> None:
    """Give up on a message that should no longer go out (comment gone, unsubscribed)."""
    session.execute(
        update(OutboxMessage).where(_held(message))
        .values(status=OutboxStatus.CANCELLED.value, claimed_at=None,
                last_error=reason[:LAST_ERROR_CHARS])
        .execution_options(synchronize_session=False)
    )


def mark_failed(
    session: Session,
    message: ClaimedMessage,
    error: str,
    now: datetime,
    policy: RetryPolicy,
    *,
    permanent: bool = False,
) -> str:
    """Record a failed try: retry after a backoff, or "dead" after the last try.

    `permanent` failures (a message that can never be built or accepted) go dead
    at once. Returns the row's new status. The caller commits.
    """
    is_dead = permanent or message.attempts >= policy.max_attempts
    status = OutboxStatus.DEAD if is_dead else OutboxStatus.PENDING
    session.execute(
        update(OutboxMessage).where(_held(message))
        .values(
            status=status.value,
            claimed_at=None,
            last_error=error[:LAST_ERROR_CHARS],
            next_attempt_at=now if is_dead else now + policy.delay(message.attempts),
        )
        .execution_options(synchronize_session=False)
    )
    return status.value


def list_dead(session: Session, limit: int = 100) -> list[DeadMessage]:
    """The newest dead rows (those that used up their tries), for moderators and the CLI."""
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.recipient,
               OutboxMessage.attempts, OutboxMessage.last_error, OutboxMessage.created_at)
        .where(OutboxMessage.status == OutboxStatus.DEAD.value)
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    ).all()
    return [
        DeadMessage(id=r.id, kind=r.kind, recipient=r.recipient, attempts=r.attempts,
                    last_error=r.last_error, created_at=r.created_at)
        for r in rows
    ]


def retry(session: Session, message_id: int, now: datetime) -> None:
    """Give a dead (or cancelled) row a fresh set of tries, due now.

    Raises OutboxRowNotFound when no such row is dead or cancelled.
    """
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id,
               OutboxMessage.status.in_([OutboxStatus.DEAD.value,
                                         OutboxStatus.CANCELLED.value]))
        .values(status=OutboxStatus.PENDING.value, attempts=0, next_attempt_at=now,
                claimed_at=None, claim_token=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise OutboxRowNotFound()


def count_by_status(session: Session) -> dict[str, int]:
    """How many rows are in each status (for the CLI and health checks)."""
    rows = session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all()
    return {status: count for status, count in rows}


def purge_finished(session: Session, before: datetime) -> int:
    """Delete sent and cancelled rows created before `before`; returns how many.

    Those rows hold recipient addresses that are no longer needed once delivered.
    Dead rows stay until an operator retries them (`comments-service outbox dead`).
    A deleted row's dedupe key is free again; the retention period is far longer
    than anything that could queue the same notification twice.
    """
    result = session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.status.in_([OutboxStatus.SENT.value, OutboxStatus.CANCELLED.value]),
            OutboxMessage.created_at < before,
        )
    )
    return result.rowcount or 0
