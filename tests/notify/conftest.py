"""A real SMTP server (aiosmtpd) and a real HTTP receiver, each on a free loopback port.

Delivery tests run the real worker against them: `make_worker(app).run_until_idle()`
sends synchronously, and aiosmtpd has stored a message before smtplib's send
returns, so no test waits on a clock.
"""

from __future__ import annotations

import email
import socket
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy.engine import Engine

from comments_service.extensions import db
from comments_service.notify.worker import OutboxWorker
from comments_service.services import notifications

PUBLIC_URL = "https://comments.example"
DOMAIN = "comments.example"


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage

    @property
    def text(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return part.get_content()

    @property
    def html(self) -> str:
        part = self.message.get_body(("html",))
        assert part is not None
        return part.get_content()


class MailSink:
    """aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[Received] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(raw, policy=policy.default)
        with self._lock:
            self._received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), raw,
                                           parsed))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.sink = MailSink()
        self._controller = Controller(self.sink, hostname="127.0.0.1", port=port)

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def smtp_server(smtp_port: int) -> Iterator[SmtpServer]:
    server = SmtpServer(smtp_port).start()
    yield server
    server.stop()


@dataclass(frozen=True)
class HttpCall:
    path: str
    headers: dict[str, str]
    body: bytes


class WebhookReceiver:
    """http.server on a loopback port; answers with queued statuses, then 200."""

    def __init__(self) -> None:
        self.calls: list[HttpCall] = []
        self.statuses: deque[int] = deque()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                receiver.calls.append(HttpCall(self.path, dict(self.headers.items()), body))
                status = receiver.statuses.popleft() if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/comments"

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def notify_app(make_app: Any, smtp_port: int) -> Any:
    """Build an app that mails through SMTP on smtp_port, retrying at once (base 0 s)."""

    def build(**notification_settings: Any) -> Flask:
        return make_app(
            server={"public_url": PUBLIC_URL},
            notifications={"transport": "smtp", "retry_base_seconds": 0, "max_attempts": 3,
                           "batch_size": 5, **notification_settings},
            smtp={"host": "127.0.0.1", "port": smtp_port, "security": "none",
                  "timeout_seconds": 5},
        )

    return build


def make_worker(app: Flask, engine: Engine | None = None, **options: Any) -> OutboxWorker:
    """The app's outbox worker, on the app's engine unless given another."""
    if engine is None:
        with app.app_context():
            engine = db.engine
    return OutboxWorker(engine, app.extensions["comments_settings"], app.config["SECRET_KEY"],
                        Path(app.instance_path), **options)


def confirm(app: Flask, address: str) -> None:
    """Mark an address as confirmed, as following its confirmation link does."""
    with app.app_context():
        hashed = notifications.address_hash(address, app.config["SECRET_KEY"])
        assert notifications.confirm_address(db.session, hashed, datetime.now(UTC))
        db.session.commit()


def subscribe(client: Any, site: str, address: str, article: str = "a1") -> None:
    response = client.post(f"/api/v1/sites/{site}/subscriptions",
                           json={"article": article, "email": address, "notify": "all"})
    assert response.status_code == 202, response.get_json()
