"""Emails: composed from templates/email/, sent by SMTP, into a folder, or to the console.

Header safety: every header is set through ``email.message.EmailMessage`` with
the modern SMTP policy and addresses through ``email.headerregistry.Address``,
which refuse CR and LF; before that, reader-supplied text bound for a header
(names, titles) has its control characters turned into spaces, so a name with a
line break still gives one clean header instead of a refused message. An
address with a control character cannot be sent (UnsendableMessage).

Threading: each comment has one Message-ID, ``<comment-ID@DOMAIN>``, the same
for every recipient (as mailing lists do); In-Reply-To names the comment it
answers (or the thread, ``<thread-ID@DOMAIN>``, for a top-level comment), and
References the thread and the comment's ancestors, so mail clients nest them.
Sending the same row again after a crash reuses its Message-ID, so a duplicate
is recognisable as one.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import smtplib
import ssl
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol, TextIO
from urllib.parse import quote, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from comments_service import languages, sanitize
from comments_service.config import Settings, SmtpSettings
from comments_service.services.feeds import comment_url
from comments_service.services.notifications import (
    REASON_REPLY,
    CommentContext,
    ThreadContext,
)

SUBJECT_CHARS = 160
NAME_CHARS = 80
# Controls (C0, DEL, C1) and Unicode line/paragraph separators: never in a header.
_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SPACES = re.compile(r"\s+")

# RFC 5322's hard limit on a line, CRLF excluded.
_MAX_LINE = 998
#: Headers whose values are lists of <URL>s, which mail providers parse as such.
URL_HEADERS = frozenset({"list-unsubscribe", "list-unsubscribe-post", "list-id"})


class _MailPolicy(EmailPolicy):
    """policy.SMTP, except that headers carrying URLs are folded at whitespace only.

    Under the usual 78-character limit the email package writes a URL longer than a line
    as RFC 2047 encoded-words (``=?utf-8?q?=3Chttps...?=``), and mail providers reading
    List-Unsubscribe as a list of ``<URL>``s then find none: one-click unsubscribe
    (RFC 8058) silently stops working. Those headers are folded with RFC 5322's own limit
    of 998 instead, so their URLs go out as typed; every other header keeps 78, where
    encoded-words stay within RFC 2047's 75 characters.
    """

    def fold(self, name: str, value: str) -> str:
        if name.lower() in URL_HEADERS:
            return _URL_HEADER_POLICY.fold(name, value)
        return super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() in URL_HEADERS:
            return _URL_HEADER_POLICY.fold_binary(name, value)
        return super().fold_binary(name, value)


_URL_HEADER_POLICY = policy.SMTP.clone(max_line_length=_MAX_LINE)
#: The policy every email is built with (policy.SMTP plus the URL headers' folding).
MAIL_POLICY = _MailPolicy().clone(linesep="\r\n")



@functools.cache
def _templates(lang: str) -> Environment:
    """The mail templates in one language: Jinja's i18n extension over that language's
    catalogue (the pages' catalogue too), newstyle like Flask-Babel's, so placeholders
    are escaped in HTML and msgids are the same in mails and pages."""
    env = Environment(
        loader=PackageLoader("comments_service", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(languages.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(lang=lang, text_dir=languages.direction(lang))
    return env


def tr(lang: str, text: str, **values: object) -> str:
    """`text` in `lang`, its %(name)s placeholders filled (for subjects)."""
    translated = languages.translations(lang).gettext(text)
    return translated % values if values else translated


def mail_language(lang: str | None) -> str:
    """A stored language, checked against the supported ones (English otherwise)."""
    return languages.supported(lang) or languages.DEFAULT


class UnsendableMessage(ValueError):
    """The message cannot be built (e.g. an address with a line break): retrying won't help."""


class MailTransport(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Deliver one message, or raise."""


# ---- what goes into headers ---------------------------------------------------------


def header_text(value: str | None, limit: int) -> str:
    """Text safe for one header: controls and line breaks become spaces, then trimmed."""
    text = _SPACES.sub(" ", _HEADER_UNSAFE.sub(" ", value or "")).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def mail_address(addr_spec: str, display_name: str = "") -> Address:
    """An Address, or UnsendableMessage when the address could inject or is malformed."""
    if _HEADER_UNSAFE.search(addr_spec) or addr_spec.count("@") != 1:
        raise UnsendableMessage("recipient address is not sendable")
    try:
        return Address(display_name=header_text(display_name, NAME_CHARS), addr_spec=addr_spec)
    except (ValueError, IndexError) as exc:
        raise UnsendableMessage("recipient address is not sendable") from exc


@dataclass(frozen=True)
class MailIdentity:
    """Who sends, the Message-ID domain, and where links point; from Settings."""

    from_address: str
    from_name: str
    domain: str
    base_url: str
    unsubscribe_mailto: str

    @classmethod
    def from_settings(cls, settings: Settings) -> MailIdentity:
        base = settings.public_base_url
        domain = settings.notifications.message_id_domain or urlsplit(base).hostname or "localhost"
        return cls(
            from_address=settings.notifications.from_address,
            from_name=settings.notifications.from_name,
            domain=domain,
            base_url=base,
            unsubscribe_mailto=settings.notifications.unsubscribe_mailto,
        )

    def message_id(self, local: str) -> str:
        return f"<{local}@{self.domain}>"


def comment_message_id(identity: MailIdentity, comment_id: int) -> str:
    return identity.message_id(f"comment-{comment_id}")


def thread_message_id(identity: MailIdentity, thread_id: int) -> str:
    return identity.message_id(f"thread-{thread_id}")


def comment_link(ctx: CommentContext) -> str | None:
    """The comment's anchor on its article, when the thread knows the article's URL."""
    if not ctx.thread_url:
        return None
    return comment_url(ctx.thread_url, ctx.comment_id)


def quoted_text(html: str) -> str:
    """The comment as plain text (sanitize.to_text), for the text part and, escaped, HTML."""
    return sanitize.to_text(html)


def _new_message(
    identity: MailIdentity, recipient: str, subject: str, message_id: str, now: datetime
) -> EmailMessage:
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = mail_address(identity.from_address, identity.from_name)
    message["To"] = mail_address(recipient)
    message["Subject"] = header_text(subject, SUBJECT_CHARS)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id
    # RFC 3834: tells vacation responders not to answer.
    message["Auto-Submitted"] = "auto-generated"
    return message


def _set_bodies(
    message: EmailMessage, template: str, context: dict[str, object], lang: str
) -> None:
    env = _templates(lang)
    message.set_content(env.get_template(f"email/{template}.txt").render(context))
    message.add_alternative(
        env.get_template(f"email/{template}.html").render(context), subtype="html"
    )
    # After the bodies: setting content clears every Content-* header.
    message["Content-Language"] = lang


# ---- the three emails ---------------------------------------------------------------


def compose_comment_email(
    identity: MailIdentity,
    ctx: CommentContext,
    recipient: str,
    reason: str,
    unsubscribe_url: str,
    now: datetime,
    lang: str = languages.DEFAULT,
) -> EmailMessage:
    """A new comment for one subscriber, threaded, with one-click unsubscribe (RFC 8058),
    in the subscriber's language."""
    author = header_text(ctx.author_name, NAME_CHARS) or tr(lang, "Someone")
    title = header_text(ctx.thread_title or ctx.article_key, SUBJECT_CHARS)
    is_reply = reason == REASON_REPLY
    subject = (tr(lang, "%(author)s replied to your comment on %(title)s",
                 author=author, title=title) if is_reply
               else tr(lang, "New comment by %(author)s on %(title)s", author=author, title=title))
    message = _new_message(identity, recipient, subject,
                           comment_message_id(identity, ctx.comment_id), now)

    parent = (comment_message_id(identity, ctx.reply_to_id) if ctx.reply_to_id
              else thread_message_id(identity, ctx.thread_id))
    references = [thread_message_id(identity, ctx.thread_id)]
    references += [comment_message_id(identity, i) for i in ctx.ancestor_ids]
    if parent not in references:
        references.append(parent)
    message["In-Reply-To"] = parent
    message["References"] = " ".join(references)

    unsubscribe = [f"<{unsubscribe_url}>"]
    if identity.unsubscribe_mailto:
        token = urlsplit(unsubscribe_url).path.rsplit("/", 1)[-1]
        unsubscribe.append(
            f"<mailto:{identity.unsubscribe_mailto}?subject={quote('unsubscribe ' + token)}>"
        )
    message["List-Unsubscribe"] = ", ".join(unsubscribe)
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["List-Id"] = f"<{ctx.site_slug}.{identity.domain}>"

    _set_bodies(message, "comment", {
        "author": author,
        "title": title,
        "site_name": header_text(ctx.site_name, NAME_CHARS),
        "is_reply": is_reply,
        "text": quoted_text(ctx.body_html),
        "comment_url": comment_link(ctx),
        "unsubscribe_url": unsubscribe_url,
    }, lang)
    return message


def compose_confirmation(
    identity: MailIdentity,
    thread: ThreadContext,
    recipient: str,
    confirm_url: str,
    outbox_id: int,
    now: datetime,
    lang: str = languages.DEFAULT,
) -> EmailMessage:
    """The double opt-in email: one link, nothing else sent until it is followed."""
    title = header_text(thread.title or thread.article_key, SUBJECT_CHARS)
    site_name = header_text(thread.site_name, NAME_CHARS)
    subject = tr(lang, "Confirm notifications from %(site_name)s", site_name=site_name)
    message = _new_message(identity, recipient, subject,
                           identity.message_id(f"confirm-{outbox_id}"), now)
    _set_bodies(message, "confirm", {
        "title": title,
        "site_name": site_name,
        "article_url": thread.url,
        "confirm_url": confirm_url,
    }, lang)
    return message


@dataclass(frozen=True)
class MailedLink:
    """A link mailed to one reader for one site: where it goes and until when it works."""

    site_name: str
    recipient: str
    url: str
    expires_at: datetime
    outbox_id: int


def _compose_link(identity: MailIdentity, link: MailedLink, kind: str,
                  subject: Callable[[str], str], now: datetime, lang: str) -> EmailMessage:
    # `kind` names the templates (email/KIND.txt, .html) and the Message-ID; `subject`
    # writes the subject line around the site's name (made safe for a header here).
    site = header_text(link.site_name, NAME_CHARS)
    message = _new_message(identity, link.recipient, subject(site),
                           identity.message_id(f"{kind.replace('_', '-')}-{link.outbox_id}"),
                           now)
    _set_bodies(message, kind, {
        "site_name": site,
        "url": link.url,
        "expires": languages.format_when(link.expires_at, lang),
    }, lang)
    return message


def compose_reader_data_link(
    identity: MailIdentity,
    site_name: str,
    recipient: str,
    url: str,
    expires_at: datetime,
    outbox_id: int,
    now: datetime,
    lang: str = languages.DEFAULT,
) -> EmailMessage:
    """A reader's link to download or erase their own comments on a site."""
    link = MailedLink(site_name, recipient, url, expires_at, outbox_id)
    return _compose_link(
        identity, link, "reader_data",
        lambda site: tr(lang, "Your comments on %(site_name)s", site_name=site), now, lang)


def compose_sign_in_link(
    identity: MailIdentity,
    site_name: str,
    recipient: str,
    url: str,
    expires_at: datetime,
    outbox_id: int,
    now: datetime,
    lang: str = languages.DEFAULT,
) -> EmailMessage:
    """A reader's single-use link that signs them in to comment on a site, in their
    language (the popup's that asked for it)."""
    link = MailedLink(site_name, recipient, url, expires_at, outbox_id)
    return _compose_link(
        identity, link, "sign_in",
        lambda site: tr(lang, "Sign in to comment on %(site_name)s", site_name=site), now,
        lang)


def compose_moderator_notice(
    identity: MailIdentity,
    ctx: CommentContext,
    recipient: str,
    reason: str,
    outbox_id: int,
    now: datetime,
    approve_url: str,
    hide_url: str,
    lang: str = languages.DEFAULT,
) -> EmailMessage:
    """Tells a moderator a comment is pending approval or was flagged, with signed,
    single-use links to approve or hide it (each opens a confirmation page)."""
    author = header_text(ctx.author_name, NAME_CHARS) or tr(lang, "Someone")
    title = header_text(ctx.thread_title or ctx.article_key, SUBJECT_CHARS)
    is_pending = reason == "pending"
    subject = (tr(lang, "A comment by %(author)s waits for approval: %(title)s",
                 author=author, title=title) if is_pending
               else tr(lang, "A comment by %(author)s was flagged: %(title)s",
                      author=author, title=title))
    message = _new_message(identity, recipient, subject,
                           identity.message_id(f"moderator-{outbox_id}"), now)
    _set_bodies(message, "moderator", {
        "author": author,
        "title": title,
        "is_pending": is_pending,
        "site_name": header_text(ctx.site_name, NAME_CHARS),
        "text": quoted_text(ctx.body_html),
        "comment_url": comment_link(ctx),
        "comment_id": ctx.comment_id,
        "approve_url": approve_url,
        "hide_url": hide_url,
    }, lang)
    return message


# ---- transports ---------------------------------------------------------------------


def _envelope(message: EmailMessage) -> tuple[str, list[str]]:
    sender = message["From"].addresses[0].addr_spec
    recipients = [address.addr_spec for address in message["To"].addresses]
    return sender, recipients


class SmtpTransport:
    """smtplib, one connection per message: plain, STARTTLS or implicit TLS; optional login."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def _tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.ca_file or None)

    def send(self, message: EmailMessage) -> None:
        s = self.settings
        if s.security == "ssl":
            connection: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout_seconds, context=self._tls_context()
            )
        else:
            connection = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
        with connection:
            if s.security == "starttls":
                connection.starttls(context=self._tls_context())
            if s.username:
                connection.login(s.username, s.password)
            sender, recipients = _envelope(message)
            connection.send_message(message, from_addr=sender, to_addrs=recipients)


class FileTransport:
    """Development: each message as an .eml file in a folder (written whole, then renamed).

    The file name comes from the Message-ID and the recipient, so sending the
    same message again replaces its file, as a mailbox would dedupe it.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        message_id = re.sub(r"[^A-Za-z0-9_.@-]", "", str(message["Message-ID"]))
        to = hashlib.sha256(str(message["To"]).encode()).hexdigest()[:10]
        target = self.folder / f"{message_id}-{to}.eml"
        fd, temp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(message.as_bytes())
        Path(temp).replace(target)


class ConsoleTransport:
    """Development: each message written to standard output."""

    _lock = threading.Lock()

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, message: EmailMessage) -> None:
        stream = self.stream or sys.stdout
        text = message.as_bytes(policy=MAIL_POLICY.clone(linesep="\n")).decode("utf-8", "replace")
        with self._lock:
            stream.write(f"{'-' * 72}\n{text}\n")
            stream.flush()


def transport_for(settings: Settings, instance_path: Path) -> MailTransport:
    """The configured transport (notifications.transport, default per environment)."""
    kind = settings.mail_transport
    if kind == "smtp":
        return SmtpTransport(settings.smtp)
    if kind == "console":
        return ConsoleTransport()
    folder = settings.notifications.mail_dir
    return FileTransport(Path(folder) if folder else instance_path / "mail")
