"""What the SMTP server receives, byte for byte: headers carrying URLs go out plain.

Mail providers read List-Unsubscribe as a list of ``<URL>``s (RFC 2369) and act on it
with RFC 8058's one-click POST; a header the email package folded into RFC 2047
encoded-words (``=?utf-8?q?=3Chttps...?=``) holds no URL for them. These tests read the
DATA bytes aiosmtpd got (tests/notify/conftest.py keeps them), not the parsed message,
which decodes encoded-words and so hid the fault.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from comments_service.extensions import db
from comments_service.models import Comment
from comments_service.notify import tokens
from comments_service.services import notifications
from tests.conftest import SITE_ORIGIN, Api
from tests.notify.conftest import PUBLIC_URL, Received, confirm, make_worker, subscribe

CAROL = "carol@example.com"
MODERATOR = "mod@example.com"
MAILTO = "unsubscribe@news.example"
# RFC 5322: a line is at most 998 characters (CRLF excluded); folding continues a header
# on a line that starts with whitespace.
MAX_LINE = 998
_TOKEN = r"[A-Za-z0-9_.\-]+"


def header_block(mail: Received) -> bytes:
    """The raw header lines of the message as received, CRLF-separated."""
    head, separator, _ = mail.raw.partition(b"\r\n\r\n")
    assert separator, "no blank line after the headers"
    return head


def raw_header(mail: Received, name: str) -> list[bytes]:
    """Every physical line of one header as received (the first, then continuations)."""
    lines = header_block(mail).split(b"\r\n")
    for index, line in enumerate(lines):
        if line.lower().startswith(name.lower().encode() + b":"):
            following = []
            for more in lines[index + 1:]:
                if more[:1] not in (b" ", b"\t"):
                    break
                following.append(more)
            return [line, *following]
    raise AssertionError(f"{name} not in {header_block(mail)!r}")


def assert_plain_ascii_headers(mail: Received) -> None:
    """No encoded-word anywhere (every header here is ASCII) and no line over RFC 5322's 998."""
    head = header_block(mail)
    assert b"=?" not in head, head
    assert all(len(line) <= MAX_LINE for line in head.split(b"\r\n")), head


def _comment_mail(notify_app, site_factory, smtp_server, **settings) -> tuple[Api, Received]:
    app = notify_app(**settings)
    api: Api = site_factory(app)
    subscribe(api.client, api.site, CAROL)
    confirm(app, CAROL)
    api.posted_id("Hello", author_name="Dan", title="News of the day")
    make_worker(app).run_until_idle()
    [mail] = smtp_server.sink.to(CAROL)
    return api, mail


def test_list_unsubscribe_reaches_the_server_as_one_plain_url(
    notify_app, site_factory, smtp_server
):
    _, mail = _comment_mail(notify_app, site_factory, smtp_server)
    [line] = raw_header(mail, "List-Unsubscribe")
    # The link carries the mail's language in its query (?lang=en), outside the token.
    pattern = (rf"List-Unsubscribe: <{re.escape(PUBLIC_URL + tokens.UNSUBSCRIBE_PATH)}"
               rf"{_TOKEN}\?lang=en>")
    assert re.fullmatch(pattern.encode(), line), line
    assert raw_header(mail, "List-Unsubscribe-Post") == [
        b"List-Unsubscribe-Post: List-Unsubscribe=One-Click"]
    assert_plain_ascii_headers(mail)


def test_one_click_post_to_the_url_read_from_the_bytes_unsubscribes(
    notify_app, site_factory, smtp_server
):
    api, mail = _comment_mail(notify_app, site_factory, smtp_server)
    [line] = raw_header(mail, "List-Unsubscribe")
    url = line.decode("ascii").removeprefix("List-Unsubscribe: <").removesuffix(">")
    # What Gmail or Yahoo send (RFC 8058): a form POST of the List-Unsubscribe-Post value.
    response = api.client.post(url.removeprefix(PUBLIC_URL),
                               data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    with api.client.application.app_context():
        hashed = notifications.address_hash(CAROL, api.client.application.config["SECRET_KEY"])
        assert notifications.subscription_mode(db.session, 1, hashed) == "none"


def test_list_unsubscribe_with_a_mailto_stays_plain_and_folds_only_at_whitespace(
    notify_app, site_factory, smtp_server
):
    _, mail = _comment_mail(notify_app, site_factory, smtp_server, unsubscribe_mailto=MAILTO)
    lines = raw_header(mail, "List-Unsubscribe")
    unfolded = b"".join(lines).decode("ascii")
    pattern = (rf"List-Unsubscribe: <{re.escape(PUBLIC_URL)}/\S+>,\s?"
               rf"<mailto:{re.escape(MAILTO)}\?subject=unsubscribe%20{_TOKEN}>")
    assert re.fullmatch(pattern, unfolded), lines
    assert_plain_ascii_headers(mail)


def test_confirmation_mail_headers_go_out_plain(notify_app, site_factory, smtp_server):
    app = notify_app()
    api: Api = site_factory(app)
    subscribe(api.client, api.site, CAROL)
    make_worker(app).run_until_idle()
    [mail] = smtp_server.sink.to(CAROL)
    assert mail.message["Subject"].startswith("Confirm notifications")
    assert_plain_ascii_headers(mail)


def test_reader_data_mail_headers_go_out_plain(notify_app, site_factory, smtp_server):
    app = notify_app()
    api: Api = site_factory(app)
    api.posted_id("Mine", author_name="Carol", author_email=CAROL)
    response = api.client.post(f"/api/v1/sites/{api.site}/reader-data",
                               json={"email": CAROL}, headers={"Origin": SITE_ORIGIN})
    assert response.status_code == 202, response.get_json()
    make_worker(app).run_until_idle()
    [mail] = [m for m in smtp_server.sink.to(CAROL) if "Your comments" in m.message["Subject"]]
    assert_plain_ascii_headers(mail)


def test_moderator_notice_headers_go_out_plain(notify_app, site_factory, smtp_server):
    app = notify_app(moderator_addresses=[MODERATOR])
    api: Api = site_factory(app)
    comment_id = api.posted_id("Rude words", author_name="Troll")
    with app.app_context():
        notifications.enqueue_moderator_notice(
            db.session, db.session.get(Comment, comment_id), "flagged", [MODERATOR],
            datetime.now(UTC))
        db.session.commit()
    make_worker(app).run_until_idle()
    [mail] = smtp_server.sink.to(MODERATOR)
    assert_plain_ascii_headers(mail)
