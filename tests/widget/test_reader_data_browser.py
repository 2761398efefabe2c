"""A reader takes their comments out, then erases them, in a real browser.

From the widget's "Your comments and data" link to the page that mails a link, to
the mailed link (read from the email the real worker wrote with the file
transport), the download and the erasure; then the article shows the comment gone.
"""

from __future__ import annotations

import email
import json
import re
from email import policy
from pathlib import Path

from playwright.sync_api import Page, expect

from comments_service.extensions import db
from comments_service.notify.worker import OutboxWorker
from tests.widget.conftest import Service, requires_chromium

pytestmark = requires_chromium

READER = "reader-data@example.org"


def _mailed_link_path(service: Service) -> str:
    """Deliver the outbox with the file transport; the /my-data/... path in the one email."""
    app = service.app
    with app.app_context():
        worker = OutboxWorker(db.engine, app.extensions["comments_settings"],
                              app.config["SECRET_KEY"], Path(app.instance_path))
        worker.run_until_idle()
    mail_dir = Path(app.instance_path) / "mail"
    messages = [email.message_from_bytes(path.read_bytes(), policy=policy.default)
                for path in sorted(mail_dir.glob("*.eml"))]
    [mine] = [m for m in messages if m["To"] == READER and "Your comments" in m["Subject"]]
    text = mine.get_body(("plain",)).get_content()
    match = re.search(r"https?://\S+?(/my-data/\S+)", text)
    assert match, text
    return match.group(1)


def test_a_reader_downloads_then_erases_their_comments_from_the_widgets_link(
    page: Page, service: Service
) -> None:
    """Link in the widget → form → mailed link → JSON copy → erase → the thread no longer
    shows the comment, while another reader's comment stays."""
    article = service.new_article()
    service.post(article, "Mine, to take away", name="Rae", author_email=READER)
    service.post(article, "Someone else's", name="Sol")
    page.goto(service.page(article))
    expect(page.locator(".c .body", has_text="Mine, to take away")).to_be_visible()

    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Your comments and data").click()
    form = opened.value
    form.wait_for_load_state()
    expect(form.get_by_role("heading", level=1)).to_have_text(
        "Your comments on The Riverside Ledger")
    form.get_by_label("Email address").fill(READER)
    form.get_by_role("button", name="Email me the link").click()
    expect(form.get_by_role("heading", level=1)).to_have_text("Check your inbox")

    form.goto(service.url + _mailed_link_path(service))
    expect(form.get_by_text("1 comment was posted with")).to_be_visible()
    with form.expect_download() as downloaded:
        form.get_by_role("link", name="Download a copy (JSON)").click()
    document = json.loads(Path(downloaded.value.path()).read_text())
    assert [c["body_markdown"] for c in document["comments"]] == ["Mine, to take away"]

    form.get_by_label("I want to erase all my comments").check()
    form.get_by_role("button", name="Erase my comments").click()
    expect(form.get_by_role("heading", level=1)).to_have_text("Your comments were erased")

    page.reload()
    expect(page.locator(".c .body", has_text="Someone else's")).to_be_visible()
    expect(page.locator(".c .body", has_text="Mine, to take away")).to_have_count(0)
