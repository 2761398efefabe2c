"""axe-core finds no serious or critical WCAG 2.2 A/AA violation in any state of the widget.

One page per theme and direction (light and dark, English and Arabic, and a site that
sets its own accent colours): the thread with comments and replies, then everything a
reader can open at once: a reply form, the edit and report forms, a field error, a
passage's marker and panel, the "N new comments" button. axe runs on the thread as
loaded and again with all of that on screen. Selectors are CSS, not words, so that the
Arabic page is driven the same way.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.widget.accessibility import axe_violations
from tests.widget.conftest import Service, requires_chromium

pytestmark = requires_chromium

ARTICLE_TEXT = """<main><article><h1>The new bridge</h1>
<p data-comments-passage="opening">The council opened the new river bridge on Monday.</p>
<p data-comments-passage="traffic">Traffic on the old crossing fell by half in a week.</p>
</article></main>"""

# A site's own accent colours that keep the documented rule (README, Accessibility).
SITE_ACCENTS = 'style="--comments-accent: #a3195b; --comments-accent-dark: #ffa3d0"'


@pytest.mark.parametrize(
    ("scheme", "lang", "attrs"),
    [
        ("light", "en", ""),
        ("dark", "en", ""),
        ("light", "ar", ""),
        ("dark", "ar", ""),
        ("light", "en", SITE_ACCENTS),
        ("dark", "en", SITE_ACCENTS),
    ],
    ids=["light-ltr", "dark-ltr", "light-rtl", "dark-rtl", "site-accent-light",
         "site-accent-dark"],
)
def test_every_state_of_the_widget_passes_axe_wcag_22_aa(
    new_page, service: Service, scheme: str, lang: str, attrs: str
) -> None:
    article = service.new_article()
    first = service.post(article, "The bridge is a fine piece of work.", name="Ann",
                         anchor={"passage_key": "opening", "quote": "new river bridge",
                                 "prefix": "opened the ", "suffix": " on Monday."})
    service.post(article, "Agreed, and it is quiet too.", name="Bob", parent=first)
    service.post(article, "Traffic is still bad on Elm Street.", name="Cy")
    page: Page = new_page(color_scheme=scheme)
    page.goto(service.page(article, lang=lang, attrs=attrs, before=ARTICLE_TEXT))
    comments = page.locator("#comments .list .c")
    expect(comments).to_have_count(3)
    assert axe_violations(page) == []

    # Our own comment (edit and delete), a field error, and every panel open at once.
    page.locator(".compose textarea").fill("Mine, to edit.")
    page.locator(".compose button[type=submit]").click()
    expect(comments).to_have_count(4)
    mine = page.locator(".list > .c").last
    mine.locator("> .main > .actions > .edit").click()
    expect(mine.locator(".edit-form textarea")).to_be_focused()
    page.locator(".compose button[type=submit]").click()
    expect(page.locator(".compose .field-error").first).to_be_visible()
    ann = page.locator(".list > .c").first
    ann.locator("> .main > .actions > .reply").click()
    expect(ann.locator(".reply-form textarea")).to_be_focused()
    cy = page.locator(".list > .c").nth(1)
    cy.locator("> .main > .actions > .flag").click()
    expect(cy.locator(".flag-form")).to_be_visible()
    page.locator("[data-comments-passage=traffic] [data-comments-marker] .mk").first.click()
    expect(page.locator("[data-comments-panel] textarea")).to_be_focused()
    service.post(article, "Someone else, meanwhile.", name="Dee")
    expect(page.locator("#comments .new-comments")).to_be_visible(timeout=15000)

    assert axe_violations(page) == []
