"""axe-core finds no serious or critical WCAG 2.2 A/AA violation on the service's own pages.

The demo article (widget included, under its strict CSP), the readers' data page with
and without an error, and the pages behind the links in emails: confirm an address,
change or stop a subscription, and the page a broken link gets. One browser page visits
them in turn; axe runs on each.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from playwright.sync_api import expect

from comments_service.extensions import db
from comments_service.models import Thread
from comments_service.notify import tokens
from comments_service.services import sites
from comments_service.web import DEMO_ARTICLE
from tests.widget.accessibility import axe_violations
from tests.widget.conftest import Service, requires_chromium

pytestmark = requires_chromium


def _demo_site_with_a_thread(service: Service) -> int:
    """The [demo] site, a short discussion on the demo article; that thread's id."""
    with service.app.app_context():
        sites.create_site(db.session, "demo", "Demo site", [service.url], datetime.now(UTC))
        db.session.commit()
    first = service.post(DEMO_ARTICLE, "Nine minutes to the hospital now.", name="Idris",
                         site="demo")
    service.post(DEMO_ARTICLE, "The **north ramp** is still steep.", name="Tom",
                 parent=first, site="demo")
    with service.app.app_context():
        return db.session.execute(db.select(Thread.id)).scalar_one()


def test_demo_my_data_confirm_and_unsubscribe_pages_pass_axe_wcag_22_aa(
    new_page: Any, make_service: Any
) -> None:
    service: Service = make_service()
    thread_id = _demo_site_with_a_thread(service)
    secret = service.app.config["SECRET_KEY"]
    claim = tokens.LinkClaim("a" * 64, thread_id)
    page = new_page()
    found: dict[str, list[str]] = {}

    page.goto(f"{service.url}/demo")
    expect(page.locator("#comments .list .c")).to_have_count(2)
    found["demo"] = axe_violations(page)

    page.goto(f"{service.url}/my-data?site=news")
    found["my-data"] = axe_violations(page)
    page.get_by_label("Email address").fill("a@b")
    page.locator("form button[type=submit]").click()
    expect(page.get_by_role("textbox", name="Email address")).to_have_attribute(
        "aria-invalid", "true")
    found["my-data, refused"] = axe_violations(page)

    page.goto(f"{service.url}{tokens.CONFIRM_PATH}{tokens.confirm_token(secret, claim)}")
    found["confirm"] = axe_violations(page)
    page.goto(f"{service.url}{tokens.UNSUBSCRIBE_PATH}{tokens.manage_token(secret, claim)}")
    found["unsubscribe"] = axe_violations(page)
    page.goto(f"{service.url}{tokens.CONFIRM_PATH}not-a-token")
    found["broken link"] = axe_violations(page)

    assert {name: problems for name, problems in found.items() if problems} == {}
