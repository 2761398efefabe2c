"""The outbox worker: claim due rows, compose, send, mark. Runs as a thread or a process.

One loop, two homes: inside each server process as a daemon thread
(notifications.worker = "thread", started by create_app), or on its own with
`comments-service worker`. Any number may run at once against one database;
services/outbox.py makes sure each due row is held by one of them at a time.

Each row goes through three short steps, each with its own session: claim
(commit), read what the message needs and compose it (no transaction held
while sending), then send and mark sent or failed (commit). A crash between
send and mark leaves the claim to expire and the row to be sent again with
the same Message-ID / delivery id: at-least-once, with a key to drop repeats.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from comments_service.config import Settings
from comments_service.metrics import NOTIFICATIONS_FAILED, NOTIFICATIONS_SENT
from comments_service.models import OutboxKind, ReaderDataRequest, Site
from comments_service.notify import mail, tokens, webhooks
from comments_service.services import (
    notifications,
    outbox,
    reader_data,
    reader_languages,
    readers,
)
from comments_service.services.outbox import ClaimedMessage, RetryPolicy
from comments_service.services.webhooks import find_webhook

log = logging.getLogger(__name__)
# How often a running worker deletes rows past retention (notifications.retention_days).
PURGE_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Cancelled:
    reason: str


Prepared = EmailMessage | webhooks.WebhookCall | Cancelled


def _utc_now() -> datetime:
    return datetime.now(UTC)


class OutboxWorker:
    """Delivers outbox rows. `run_once` does one batch; `run_forever` loops until stopped."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        secret: str,
        instance_path: Path,
        *,
        transport: mail.MailTransport | None = None,
        webhook_sender: webhooks.WebhookSender | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False)
        self.settings = settings.notifications
        self.link_seconds = settings.readers.email_link_seconds
        self.secret = secret
        self.identity = mail.MailIdentity.from_settings(settings)
        self.transport = transport or mail.transport_for(settings, instance_path)
        self.webhook_sender = webhook_sender or webhooks.WebhookSender(
            settings.notifications.webhook_timeout_seconds
        )
        self.policy = RetryPolicy(
            settings.notifications.max_attempts,
            settings.notifications.retry_base_seconds,
            settings.notifications.retry_max_seconds,
        )
        self.clock = clock

    # ---- one batch -----------------------------------------------------------------

    def run_once(self) -> int:
        """Claim and deliver one batch of due rows; returns how many were claimed."""
        with self._sessions() as session:
            claimed = outbox.claim_due(
                session, self.clock(),
                lease_seconds=self.settings.lease_seconds, limit=self.settings.batch_size,
            )
            session.commit()
        for message in claimed:
            self._deliver(message)
        return len(claimed)

    def run_until_idle(self, max_batches: int = 1000) -> int:
        """Deliver batches until none is due (or max_batches); returns rows claimed."""
        total = 0
        for _ in range(max_batches):
            claimed = self.run_once()
            total += claimed
            if claimed == 0:
                break
        return total

    def _deliver(self, message: ClaimedMessage) -> None:
        try:
            with self._sessions() as session:
                prepared = self._prepare(session, message)
            if isinstance(prepared, Cancelled):
                self._finish(lambda s: outbox.mark_cancelled(s, message, prepared.reason))
                log.info("outbox_cancelled", extra={"outbox_id": message.id,
                                                    "kind": message.kind})
                return
            self._send(prepared)
        except mail.UnsendableMessage as exc:
            NOTIFICATIONS_FAILED.labels(message.kind).inc()
            self._fail(message, f"{type(exc).__name__}: {exc}", permanent=True)
        except Exception as exc:  # noqa: BLE001 - any failed try is retried; the loop goes on
            NOTIFICATIONS_FAILED.labels(message.kind).inc()
            self._fail(message, self._describe(exc, message))
        else:
            NOTIFICATIONS_SENT.labels(message.kind).inc()
            self._finish(lambda s: outbox.mark_sent(s, message, self.clock()))
            log.info("outbox_sent", extra={"outbox_id": message.id, "kind": message.kind,
                                           "attempts": message.attempts})

    def _send(self, prepared: EmailMessage | webhooks.WebhookCall) -> None:
        if isinstance(prepared, webhooks.WebhookCall):
            self.webhook_sender.send(prepared)
        else:
            self.transport.send(prepared)

    @staticmethod
    def _describe(exc: Exception, message: ClaimedMessage) -> str:
        # Never store or log an address: SMTP errors often quote the recipient.
        text = f"{type(exc).__name__}: {exc}"
        return text.replace(message.recipient, "<recipient>")

    def _finish(self, mark: Callable[[Session], object]) -> None:
        with self._sessions() as session:
            mark(session)
            session.commit()

    def _fail(self, message: ClaimedMessage, error: str, *, permanent: bool = False) -> None:
        status = ""

        def mark(session: Session) -> None:
            nonlocal status
            status = outbox.mark_failed(session, message, error, self.clock(), self.policy,
                                        permanent=permanent)

        self._finish(mark)
        log.warning("outbox_failed", extra={"outbox_id": message.id, "kind": message.kind,
                                            "attempts": message.attempts, "status": status})

    # ---- composing, from the rows as they are now ------------------------------------

    def _prepare(self, session: Session, message: ClaimedMessage) -> Prepared:
        kind = message.kind
        payload = message.payload
        now = self.clock()
        if kind == OutboxKind.CONFIRM.value:
            return self._prepare_confirmation(session, message, now)
        if kind == OutboxKind.READER_DATA.value:
            return self._prepare_reader_data_link(session, message, now)
        if kind == OutboxKind.SIGN_IN.value:
            return self._prepare_sign_in_link(session, message, now)
        ctx = notifications.comment_context(session, int(payload["comment_id"]))
        if ctx is None:
            return Cancelled("the comment no longer exists")
        if kind == OutboxKind.MODERATOR.value:
            lang = reader_languages.site_default(ctx.site_settings)
            approve, hide = (self._moderation_url(ctx.comment_id, action, message.id, lang)
                             for action in ("approve", "hide"))
            return mail.compose_moderator_notice(
                self.identity, ctx, message.recipient, str(payload["reason"]), message.id, now,
                approve_url=approve, hide_url=hide, lang=lang,
            )
        if not ctx.is_visible:
            return Cancelled("the comment is no longer visible")
        if kind == OutboxKind.WEBHOOK.value:
            hook = find_webhook(ctx.site_settings, message.recipient)
            if hook is None:
                return Cancelled("the site no longer has this webhook")
            payload_json = webhooks.comment_payload(ctx, message.id, now)
            return webhooks.build_call(hook.url, hook.secret, payload_json, message.id, now)
        if kind == OutboxKind.COMMENT.value:
            hashed = str(payload["address_hash"])
            mode = notifications.subscription_mode(session, ctx.thread_id, hashed)
            if mode == "none":
                return Cancelled("unsubscribed")
            if mode == "replies" and payload["reason"] != notifications.REASON_REPLY:
                return Cancelled("narrowed to replies since it was queued")
            if not notifications.is_confirmed(session, hashed):
                return Cancelled("the address is not confirmed")
            lang = reader_languages.for_reader(
                reader_languages.subscription_language(session, ctx.thread_id, hashed),
                ctx.site_settings)
            claim = tokens.LinkClaim(hashed, ctx.thread_id)
            unsubscribe = tokens.unsubscribe_url(self.identity.base_url, self.secret, claim,
                                                 lang)
            return mail.compose_comment_email(
                self.identity, ctx, message.recipient, str(payload["reason"]), unsubscribe, now,
                lang,
            )
        raise mail.UnsendableMessage(f"unknown outbox kind {kind!r}")

    def _moderation_url(self, comment_id: int, action: str, outbox_id: int, lang: str) -> str:
        """A fresh single-use link (its own nonce) to take `action` on the comment."""
        claim = tokens.ModerationClaim(comment_id, action, outbox_id, secrets.token_hex(16))
        return tokens.moderation_url(self.identity.base_url, self.secret, claim, lang)

    def _prepare_confirmation(
        self, session: Session, message: ClaimedMessage, now: datetime
    ) -> Prepared:
        hashed = str(message.payload["address_hash"])
        if notifications.is_confirmed(session, hashed):
            return Cancelled("the address is already confirmed")
        thread = notifications.thread_context(session, int(message.payload["thread_id"]))
        if thread is None:
            return Cancelled("the thread no longer exists")
        lang = reader_languages.for_reader(
            reader_languages.subscription_language(session, thread.thread_id, hashed),
            thread.site_settings)
        claim = tokens.LinkClaim(hashed, thread.thread_id)
        url = tokens.confirm_url(self.identity.base_url, self.secret, claim, lang)
        return mail.compose_confirmation(self.identity, thread, message.recipient, url,
                                         message.id, now, lang)

    def _prepare_reader_data_link(
        self, session: Session, message: ClaimedMessage, now: datetime
    ) -> Prepared:
        request = session.get(ReaderDataRequest, int(message.payload["request_id"]))
        if request is None or request.erased_at is not None or request.expires_at <= now:
            return Cancelled("the request expired or was used")
        site = session.get(Site, request.site_id)
        if site is None:  # pragma: no cover - the request row cascades with its site
            return Cancelled("the site no longer exists")
        lang = reader_languages.for_reader(request.language, site.settings)
        claim = tokens.ReaderDataClaim(request.id, request.nonce)
        url = tokens.reader_data_url(self.identity.base_url, self.secret, claim, lang)
        return mail.compose_reader_data_link(self.identity, site.name, message.recipient, url,
                                             request.expires_at, message.id, now, lang)

    def _prepare_sign_in_link(
        self, session: Session, message: ClaimedMessage, now: datetime
    ) -> Prepared:
        payload = message.payload
        expires_at = datetime.fromisoformat(str(payload["expires_at"]))
        if expires_at <= now:
            return Cancelled("the sign-in link would have expired")
        site = session.execute(select(Site).where(Site.slug == payload["site"])).scalar()
        if site is None:
            return Cancelled("the site no longer exists")
        claim = tokens.SignInClaim(site=site.slug, way=str(payload["way"]),
                                   email=message.recipient, name=str(payload["name"]),
                                   origin=str(payload["origin"]), nonce=str(payload["nonce"]))
        stored = payload.get("lang")
        lang = reader_languages.for_reader(stored if isinstance(stored, str) else None,
                                           site.settings)
        url = tokens.sign_in_url(self.identity.base_url, self.secret, claim, lang)
        return mail.compose_sign_in_link(self.identity, site.name, message.recipient, url,
                                         expires_at, message.id, now, lang)

    # ---- retention -------------------------------------------------------------------

    def purge_old(self) -> tuple[int, int]:
        """Delete finished outbox rows past retention_days and expired reader-data
        requests; returns (outbox rows, requests). Any worker may run it: deletes of
        the same rows by two workers at once just find fewer rows."""
        now = self.clock()
        with self._sessions() as session:
            rows = 0
            if self.settings.retention_days:
                before = now - timedelta(days=self.settings.retention_days)
                rows = outbox.purge_finished(session, before)
            requests = reader_data.purge_expired(session, now)
            sign_ins = readers.purge_expired(session, now, self.link_seconds)
            session.commit()
        if rows or requests or sign_ins:
            log.info("outbox_purged", extra={"outbox_rows": rows, "reader_data_requests": requests,
                                             "reader_tokens_and_links": sign_ins})
        return rows, requests

    # ---- the loop --------------------------------------------------------------------

    def run_forever(self, stop: threading.Event) -> None:
        """Deliver until `stop` is set; pauses poll_interval_seconds when nothing is due.

        Errors reaching the database are logged and retried after the pause, so
        a database restart does not end the loop.
        """
        next_purge = self.clock()
        while not stop.is_set():
            try:
                if self.clock() >= next_purge:
                    next_purge = self.clock() + PURGE_EVERY
                    self.purge_old()
                claimed = self.run_once()
            except Exception:
                log.exception("outbox_worker_error")
                claimed = 0
            if claimed < self.settings.batch_size:
                stop.wait(self.settings.poll_interval_seconds)


class WorkerThread:
    """The worker as a daemon thread of the server process, stopped cleanly at exit."""

    def __init__(self, worker: OutboxWorker) -> None:
        self.worker = worker
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=worker.run_forever, args=(self._stop,), name="comments-outbox", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    @property
    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float | None = 30.0) -> None:
        """Ask the loop to stop and wait for the message in hand to be marked."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
