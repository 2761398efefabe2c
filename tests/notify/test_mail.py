"""notify/mail.py: what an email says, which headers it has, and that none can be injected."""

from __future__ import annotations

import email
import io
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import pytest

from comments_service.notify import mail
from comments_service.services.notifications import CommentContext, ThreadContext

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
IDENTITY = mail.MailIdentity(
    from_address="comments@news.example", from_name="News comments", domain="news.example",
    base_url="https://comments.example", unsubscribe_mailto="",
)
UNSUBSCRIBE = "https://comments.example/notify/unsubscribe/TOKEN"


def _context(**changes) -> CommentContext:
    values = {
        "comment_id": 42, "status": "visible",
        "body_html": "<p>1 &lt; 2 &amp; <strong>bold</strong></p>\n<p>second</p>",
        "author_name": "Bob", "created_at": NOW, "path": "0000000007.0000000040.0000000042",
        "reply_to_id": 40, "parent_id": 40, "thread_id": 3, "article_key": "a1",
        "thread_title": "Big news", "thread_url": "https://news.example/a1",
        "site_id": 1, "site_slug": "news", "site_name": "News", "site_settings": {},
    }
    values.update(changes)
    return CommentContext(**values)


def _reparsed(message) -> email.message.EmailMessage:
    return email.message_from_bytes(message.as_bytes(), policy=policy.default)


def test_comment_email_is_multipart_text_and_escaped_html():
    message = _reparsed(mail.compose_comment_email(
        IDENTITY, _context(), "ann@example.com", "reply", UNSUBSCRIBE, NOW))
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(("html",)).get_content()
    assert "> 1 < 2 & bold\n>\n> second\n" in text
    assert "1 &lt; 2 &amp; bold" in html
    assert "<strong>bold" not in html
    assert "https://news.example/a1#comment-42" in text
    assert 'href="https://news.example/a1#comment-42"' in html


def test_comment_email_threads_under_its_parent_and_thread():
    message = mail.compose_comment_email(
        IDENTITY, _context(), "ann@example.com", "reply", UNSUBSCRIBE, NOW)
    assert message["Message-ID"] == "<comment-42@news.example>"
    assert message["In-Reply-To"] == "<comment-40@news.example>"
    assert message["References"] == (
        "<thread-3@news.example> <comment-7@news.example> <comment-40@news.example>")


def test_top_level_comment_replies_to_the_thread():
    message = mail.compose_comment_email(
        IDENTITY, _context(reply_to_id=None, parent_id=None, path="0000000042"),
        "ann@example.com", "thread", UNSUBSCRIBE, NOW)
    assert message["In-Reply-To"] == "<thread-3@news.example>"
    assert message["References"] == "<thread-3@news.example>"
    assert message["Subject"] == "New comment by Bob on Big news"


def test_one_click_unsubscribe_headers_follow_rfc_8058():
    message = mail.compose_comment_email(
        IDENTITY, _context(), "ann@example.com", "reply", UNSUBSCRIBE, NOW)
    assert message["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Auto-Submitted"] == "auto-generated"


def test_unsubscribe_mailto_is_offered_only_when_configured():
    identity = mail.MailIdentity(**{**IDENTITY.__dict__,
                                    "unsubscribe_mailto": "unsubscribe@news.example"})
    message = mail.compose_comment_email(
        identity, _context(), "ann@example.com", "reply", UNSUBSCRIBE, NOW)
    assert message["List-Unsubscribe"] == (
        f"<{UNSUBSCRIBE}>, <mailto:unsubscribe@news.example?subject=unsubscribe%20TOKEN>")


@pytest.mark.parametrize("crlf", ["\r\n", "\n", "\r", "\u2028", "\x85"])
def test_line_break_in_a_name_or_title_cannot_add_a_header(crlf: str):
    context = _context(author_name=f"Eve{crlf}Bcc: victim@example.com",
                       thread_title=f"Title{crlf}X-Injected: yes",
                       site_name=f"News{crlf}Reply-To: evil@example.com")
    identity = mail.MailIdentity(**{**IDENTITY.__dict__,
                                    "from_name": f"Comments{crlf}Cc: evil@example.com"})
    message = _reparsed(mail.compose_comment_email(
        identity, context, "ann@example.com", "thread", UNSUBSCRIBE, NOW))
    for injected in ("Bcc", "X-Injected", "Reply-To", "Cc"):
        assert message[injected] is None
    assert message["Subject"] == (
        "New comment by Eve Bcc: victim@example.com on Title X-Injected: yes")
    assert [a.addr_spec for a in message["To"].addresses] == ["ann@example.com"]
    assert [a.addr_spec for a in message["From"].addresses] == ["comments@news.example"]


@pytest.mark.parametrize("address", [
    "ann@example.com\r\nBcc: victim@example.com",
    "ann@example.com\nBcc: victim@example.com",
    "ann@example.com, victim@example.com",
    "not-an-address",
])
def test_a_recipient_address_that_could_inject_is_refused(address: str):
    with pytest.raises(mail.UnsendableMessage):
        mail.compose_comment_email(IDENTITY, _context(), address, "thread", UNSUBSCRIBE, NOW)


def test_confirmation_email_carries_the_link_and_nothing_of_the_thread():
    thread = ThreadContext(3, "a1", "Big news", "https://news.example/a1", "News")
    message = _reparsed(mail.compose_confirmation(
        IDENTITY, thread, "ann@example.com", "https://comments.example/notify/confirm/T", 9, NOW))
    assert message["Message-ID"] == "<confirm-9@news.example>"
    assert "https://comments.example/notify/confirm/T" in message.get_body(("plain",)).get_content()
    assert message["List-Unsubscribe"] is None


def test_moderator_notice_says_what_happened():
    message = mail.compose_moderator_notice(
        IDENTITY, _context(status="pending"), "mod@example.com", "pending", 5, NOW,
        approve_url="https://comments.example/notify/moderate/A",
        hide_url="https://comments.example/notify/moderate/H")
    assert message["Subject"] == "A comment by Bob waits for approval: Big news"
    text = message.get_body(("plain",)).get_content()
    assert "Approve it: https://comments.example/notify/moderate/A" in text
    assert "Hide it: https://comments.example/notify/moderate/H" in text


def test_file_transport_writes_one_eml_per_message_and_a_resend_replaces_it(tmp_path: Path):
    transport = mail.FileTransport(tmp_path / "mail")
    message = mail.compose_comment_email(
        IDENTITY, _context(), "ann@example.com", "reply", UNSUBSCRIBE, NOW)
    transport.send(message)
    transport.send(message)
    [written] = (tmp_path / "mail").iterdir()
    assert written.suffix == ".eml"
    assert email.message_from_bytes(written.read_bytes())["Message-ID"] == message["Message-ID"]


def test_console_transport_prints_the_message():
    stream = io.StringIO()
    mail.ConsoleTransport(stream).send(mail.compose_comment_email(
        IDENTITY, _context(), "ann@example.com", "reply", UNSUBSCRIBE, NOW))
    assert "Subject: Bob replied to your comment on Big news" in stream.getvalue()
