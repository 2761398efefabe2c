"""The admin page in a real browser: Playwright driving Debian's chromium against the real
app, served on a free loopback port from a temporary, migrated SQLite database."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from comments_service import create_app
from comments_service.cli import migrate_database
from comments_service.extensions import db
from comments_service.models import Comment
from comments_service.services import sites
from tests.conftest import CHROMIUM, add_moderator, base_overrides

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not at /usr/bin/chromium (apt-get install -y chromium)",
)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Flask]]:
    """The real app (CSRF on, as in production) on 127.0.0.1:<free port>, in a thread."""
    app = create_app(base_overrides(f"sqlite:///{tmp_path / 'admin.db'}"),
                     instance_path=tmp_path / "instance")
    migrate_database(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    worker = threading.Thread(target=server.serve_forever, daemon=True)
    worker.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        worker.join()
        server.server_close()
        with app.app_context():
            db.engine.dispose()


def seed(app: Flask) -> int:
    """A news site with a discussion, one reply flagged by three readers; its id."""
    with app.app_context():
        sites.create_site(db.session, "news", "Daily News", ["https://news.example"],
                          datetime.now(UTC))
        db.session.commit()
    client = app.test_client()

    def post(body: str, **fields: object) -> int:
        response = client.post("/api/v1/sites/news/comments", json={
            "article": "city-budget-2026", "title": "City council passes the 2026 budget",
            "body": body, **fields})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["comment"]["id"]

    top = post("The new cycle lanes on Elm Street are long overdue. Good call by the council.",
               author_name="Maria Lopez")
    post("Agreed, though the timeline looks optimistic.", author_name="Tom B.", parent_id=top)
    rude = post("Only idiots would vote for this. **Wake up, people!!!**",
                author_name="angry_reader", author_email="angry@example.org", parent_id=top)
    reasons = [("abuse", None), ("other", "Insults other readers"), ("abuse", None)]
    for n, (reason, text) in enumerate(reasons):
        client.post(f"/api/v1/sites/news/comments/{rude}/flags",
                    json={"reason": reason, "text": text},
                    environ_base={"REMOTE_ADDR": f"10.20.{n}.7"})
    spam = post("Earn $500 a day from home, see my profile", author_name="deals4u")
    client.post(f"/api/v1/sites/news/comments/{spam}/flags", json={"reason": "spam"},
                environ_base={"REMOTE_ADDR": "10.30.0.7"})
    return rude


def status_of(app: Flask, comment_id: int) -> str:
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        assert comment is not None
        return comment.status


def test_a_moderator_signs_in_sees_the_queue_and_hides_then_restores_a_comment(
    served, browser
) -> None:
    from playwright.sync_api import expect

    base, app = served
    rude = seed(app)
    who = add_moderator(app, "editor@news.example", "news")
    # Three flags hid it; restore it first so the browser hides it by hand.
    assert status_of(app, rude) == "hidden"

    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    try:
        page.goto(f"{base}/admin/queue")
        expect(page).to_have_url(f"{base}/admin/login?next=%2Fadmin%2Fqueue")
        page.fill("#email", who.email)
        page.fill("#password", who.password)
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{base}/admin/queue")

        card = page.locator(f"#comment-{rude}")
        expect(card).to_contain_text("City council passes the 2026 budget")
        expect(card).to_contain_text("In reply to Maria Lopez")
        expect(card).to_contain_text("Insults other readers")
        expect(card).to_contain_text("auto-hidden by 3 flags")

        card.locator(f'button[value="restore:{rude}"]').click()
        expect(page.locator(".flash-success")).to_have_text(f"Comment #{rude} restored.")
        assert status_of(app, rude) == "visible"

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "admin-queue.png"), full_page=True)

        page.locator(f"#comment-{rude}").locator(f'button[value="hide:{rude}"]').click()
        expect(page.locator(".flash-success")).to_have_text(f"Comment #{rude} hidden.")
        assert status_of(app, rude) == "hidden"

        page.locator(f"#comment-{rude}").locator(f'button[value="restore:{rude}"]').click()
        expect(page.locator(".flash-success")).to_have_text(f"Comment #{rude} restored.")
        assert status_of(app, rude) == "visible"

        page.click("nav >> text=Audit log")
        expect(page.locator("table")).to_contain_text("editor@news.example")
        expect(page.locator("table")).to_contain_text("auto_hide")
    finally:
        page.close()


def test_login_queue_and_sites_pages_pass_axe_wcag_22_aa(served, browser) -> None:
    """axe-core (tests/widget/accessibility.py) finds no serious or critical WCAG 2.2 A/AA
    violation on the login page (also with its error), the queue and the sites page."""
    from playwright.sync_api import expect

    from tests.widget.accessibility import axe_violations

    base, app = served
    seed(app)
    who = add_moderator(app, "editor@news.example", "news")
    found: dict[str, list[str]] = {}
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    try:
        page.goto(f"{base}/admin/login")
        found["login"] = axe_violations(page)
        page.fill("#email", who.email)
        page.fill("#password", "not the password")
        page.click("button[type=submit]")
        expect(page.locator("#password")).to_be_visible()
        found["login, refused"] = axe_violations(page)
        page.fill("#email", who.email)
        page.fill("#password", who.password)
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{base}/admin/queue")
        found["queue"] = axe_violations(page)
        page.goto(f"{base}/admin/sites")
        found["sites"] = axe_violations(page)
    finally:
        page.close()
    assert {name: problems for name, problems in found.items() if problems} == {}
