"""The widget's spam defences in a real browser (issue 24.2): the widget takes a form
token when it shows its form and sends it with an empty honeypot; a script on the same
page that posts around the widget (a browser Origin, no token) is refused."""

from __future__ import annotations

import json
import time

from playwright.sync_api import Page, expect

from tests.widget.conftest import SITE, requires_chromium

pytestmark = requires_chromium

# The shipped minimum age of a token: a form sent sooner was not filled by a person.
HUMAN = {"spam": {"form_token_min_seconds": 3, "duplicate_window_seconds": 0}}


def test_a_reader_typing_normally_posts_with_a_token_and_an_empty_honeypot(
    page: Page, make_service
) -> None:
    service = make_service(**HUMAN)
    sent: list[dict] = []
    page.on("request", lambda r: sent.append(json.loads(r.post_data))
            if r.method == "POST" and r.url.endswith(f"/sites/{SITE}/comments") else None)
    page.goto(service.page(service.new_article()))
    shown = time.monotonic()
    box = page.get_by_label("What do you think?")
    box.click()
    box.type("I read the whole article before writing this.", delay=40)
    # A person takes a few seconds to write; the token is as old as the form.
    page.wait_for_timeout(max(0, 3300 - int((time.monotonic() - shown) * 1000)))
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator(".c .body", has_text="I read the whole article")).to_be_visible()
    assert len(sent) == 1
    assert sent[0]["hp"] == ""
    assert sent[0]["form_token"].count(".") == 2


def test_a_script_posting_around_the_widget_without_a_token_is_spam(
    page: Page, make_service
) -> None:
    service = make_service(**HUMAN)
    article = service.new_article()
    page.goto(service.page(article))
    expect(page.get_by_label("What do you think?")).to_be_visible()
    answer = page.evaluate(
        """async ([url, article]) => {
             const response = await fetch(url, {method: 'POST',
               headers: {'Content-Type': 'application/json'},
               body: JSON.stringify({article, body: 'Buy cheap watches'})});
             return {status: response.status, body: await response.json()};
           }""",
        [f"{service.url}/api/v1/sites/{SITE}/comments", article],
    )
    assert answer["status"] == 422
    assert answer["body"]["error"]["code"] == "spam_rejected"
    counts = service.app.test_client().get(
        f"/api/v1/sites/{SITE}/counts", query_string={"article": article}).get_json()
    assert counts["counts"].get(article, 0) == 0


def test_a_form_sent_faster_than_a_person_types_is_refused_and_the_text_kept(
    page: Page, make_service
) -> None:
    service = make_service(**HUMAN)
    page.goto(service.page(service.new_article()))
    box = page.get_by_label("What do you think?")
    box.fill("Posted by a bot the instant the form appeared")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator(".alert")).to_be_visible()
    expect(box).to_have_value("Posted by a bot the instant the form appeared")
    expect(page.locator(".c")).to_have_count(0)
