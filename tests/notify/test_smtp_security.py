"""notify/mail.py SmtpTransport against aiosmtpd with STARTTLS, implicit TLS and login."""

from __future__ import annotations

import shutil
import smtplib
import ssl
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from comments_service.config import SmtpSettings
from comments_service.notify import mail
from tests.notify.conftest import MailSink, free_port

LOGIN, PASSWORD = "mailer", "s3cret-pass"
IDENTITY = mail.MailIdentity("comments@news.example", "Comments", "news.example",
                             "https://comments.example", "")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (it is its own CA)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return cert, key


class Logins:
    """aiosmtpd authenticator accepting one login, remembering every attempt."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str,
                 auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.seen.append(auth_data.login.decode())
        is_valid = (auth_data.login.decode(), auth_data.password.decode()) == (LOGIN, PASSWORD)
        # handled=False: aiosmtpd answers 535 itself when the login is refused.
        return AuthResult(success=is_valid, handled=False)


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return context


@pytest.fixture
def starttls_server(certificate) -> Iterator[tuple[Controller, MailSink, Logins]]:
    sink, logins = MailSink(), Logins()
    controller = Controller(
        sink, hostname="127.0.0.1", port=free_port(),
        tls_context=_server_context(certificate), require_starttls=True,
        auth_required=True, auth_require_tls=True, authenticator=logins,
    )
    controller.start()
    yield controller, sink, logins
    controller.stop()


def _settings(port: int, **changes: Any) -> SmtpSettings:
    values = {"host": "127.0.0.1", "port": port, "security": "starttls", "ca_file": "",
              "username": LOGIN, "password": PASSWORD, "timeout_seconds": 5}
    values.update(changes)
    return SmtpSettings(**values)


def _message() -> Any:
    message = mail._new_message(IDENTITY, "ann@example.com", "Hello", "<t-1@news.example>",
                                datetime.now(UTC))
    message.set_content("Hello over TLS")
    return message


def test_starttls_with_login_delivers(starttls_server, certificate):
    controller, sink, logins = starttls_server
    mail.SmtpTransport(_settings(controller.port, ca_file=str(certificate[0]))).send(_message())
    [received] = sink.received
    assert received.rcpt_tos == ["ann@example.com"]
    assert logins.seen == [LOGIN]


def test_wrong_password_is_refused(starttls_server, certificate):
    controller, sink, _ = starttls_server
    transport = mail.SmtpTransport(_settings(controller.port, ca_file=str(certificate[0]),
                                             password="wrong"))
    with pytest.raises(smtplib.SMTPAuthenticationError):
        transport.send(_message())
    assert sink.received == []


def test_a_certificate_nobody_vouches_for_is_refused(starttls_server):
    controller, sink, logins = starttls_server
    with pytest.raises(ssl.SSLCertVerificationError):
        mail.SmtpTransport(_settings(controller.port)).send(_message())
    assert (sink.received, logins.seen) == ([], [])


def test_implicit_tls_delivers(certificate):
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port(),
                            ssl_context=_server_context(certificate))
    controller.start()
    try:
        settings = _settings(controller.port, security="ssl", ca_file=str(certificate[0]),
                             username="")
        mail.SmtpTransport(settings).send(_message())
    finally:
        controller.stop()
    assert len(sink.received) == 1
