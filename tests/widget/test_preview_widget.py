"""Preview before posting, and the article's feed link, in a real browser (issue 22)."""

from __future__ import annotations

import re

import feedparser
from playwright.sync_api import Page, expect

from tests.widget.conftest import Service, requires_chromium
from tests.widget.test_widget import comment_id, own, post_top_level

pytestmark = requires_chromium

TYPED = "Some **bold** words <script>window.__ran = 1</script> and _more_"


def test_preview_shows_sanitized_markdown_and_switching_back_keeps_the_text(
    page: Page, service: Service
) -> None:
    page.goto(service.page(service.new_article()))
    textarea = page.get_by_label("What do you think?")
    textarea.fill(TYPED)
    toggle = page.locator(".compose").get_by_role("button", name="Preview")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()

    expect(toggle).to_have_attribute("aria-pressed", "true")
    region = page.get_by_role("region", name="Preview")
    expect(region.locator("strong")).to_have_text("bold")
    expect(region.locator("em")).to_have_text("more")
    # The <script> the reader typed is text on screen, not an element, and never ran.
    expect(region).to_contain_text("<script>window.__ran = 1</script>")
    expect(region.locator("script")).to_have_count(0)
    assert page.evaluate("window.__ran") is None
    expect(textarea).to_be_hidden()
    expect(toggle).to_be_focused()

    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(region).to_be_hidden()
    expect(textarea).to_be_visible()
    expect(textarea).to_have_value(TYPED)
    expect(textarea).to_be_focused()

    # Posting from the preview posts the kept text, rendered the same way.
    toggle.click()
    expect(region.locator("strong")).to_have_text("bold")
    page.get_by_role("button", name="Post comment").click()
    posted = page.locator(".c .body", has_text="Some bold words")
    expect(posted.locator("strong")).to_have_text("bold")
    expect(textarea).to_be_visible()
    expect(textarea).to_have_value("")


def test_the_preview_works_from_the_keyboard_in_reply_and_edit_forms(
    page: Page, service: Service
) -> None:
    article = service.new_article()
    service.post(article, "Answer me")
    page.goto(service.page(article))
    theirs = comment_id(page, "Answer me")
    own(page, theirs, ".actions > .reply").click()
    form = own(page, theirs, ".slot")
    reply = form.get_by_role("textbox", name=re.compile("Your reply"))
    reply.fill("A `code` reply")
    toggle = form.get_by_role("button", name="Preview")
    toggle.focus()
    page.keyboard.press("Space")
    expect(form.get_by_role("region", name="Preview").locator("code")
           ).to_have_text("code")
    page.keyboard.press("Enter")
    expect(reply).to_be_focused()
    expect(reply).to_have_value("A `code` reply")

    post_top_level(page, "Mine to edit")
    mine = comment_id(page, "Mine to edit")
    own(page, mine, ".actions > .edit").click()
    editor = own(page, mine, ".slot").get_by_label("Edit your comment")
    editor.fill("Now with a [link](https://example.org/x)")
    own(page, mine, ".slot").get_by_role("button", name="Preview").click()
    link = own(page, mine, ".slot").get_by_role("region").get_by_role("link")
    expect(link).to_have_attribute("href", "https://example.org/x")
    own(page, mine, ".slot").get_by_role("button", name="Preview").click()
    expect(editor).to_have_value("Now with a [link](https://example.org/x)")


def test_an_empty_or_refused_preview_says_so_and_keeps_the_text(
    page: Page, service: Service
) -> None:
    page.goto(service.page(service.new_article(), lang="de"))
    toggle = page.locator(".compose").get_by_role("button", name="Vorschau")
    toggle.click()
    expect(page.get_by_role("region", name="Vorschau")).to_have_text(
        "Noch nichts für eine Vorschau.")
    toggle.click()
    too_long = "x" * (service.site_config()["max_body_chars"] + 5)
    textarea = page.get_by_label("Was denken Sie?")
    # maxlength stops typing, not a script: this is what a paste past it would send.
    textarea.evaluate("(el, value) => { el.value = value; }", too_long)
    toggle.click()
    expect(page.get_by_role("region", name="Vorschau")).to_contain_text(
        "10000")
    toggle.click()
    expect(textarea).to_have_value(too_long)


def test_the_widget_offers_the_articles_feed(page: Page, service: Service) -> None:
    article = service.new_article()
    service.post(article, "In the *feed*", name="Feeder")
    page.goto(service.page(article, lang="ar"))
    link = page.get_by_role("link", name="خلاصة التعليقات الجديدة")
    expect(link).to_have_attribute("type", "application/atom+xml")
    response = page.request.get(link.get_attribute("href"))
    assert response.ok
    parsed = feedparser.parse(response.body())
    assert [e.author for e in parsed.entries] == ["Feeder"]
    assert "<em>feed</em>" in parsed.entries[0].content[0].value
