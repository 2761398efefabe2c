"""Inline feedback on passages (issue 9) in a real browser: markers beside the host page's
passages, commenting on one through its marker or a selection, and anchors found again
(or reported as changed) when the article is edited."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.widget.conftest import SITE, Service, requires_chromium

pytestmark = requires_chromium

INTRO = "The river rose by a metre overnight, closing the harbour road."
BRIDGE = "Engineers said the old bridge held. They will inspect it again on Monday."
CLOSING = "Ferries run as usual."


def article_html(*paragraphs: str, keys: bool = True) -> str:
    """The host page's article: paragraphs marked as passages p1, p2... unless keys=False."""
    parts = [
        f'<p data-comments-passage="p{index}">{text}</p>' if keys else f"<p>{text}</p>"
        for index, text in enumerate(paragraphs, start=1)
    ]
    return f"<article><h1>Flood</h1>{''.join(parts)}</article>"


def marker(page: Page, paragraph: Locator) -> Locator:
    """The marker button the widget put beside a passage (inside its own shadow root)."""
    return paragraph.locator("[data-comments-marker] .mk").first


def thread_comments(page: Page) -> Locator:
    return page.locator("#comments .list > .c")


def select_text(page: Page, selector: str, text: str) -> None:
    """Select `text` inside the element, as a reader dragging over it would."""
    page.evaluate(
        """([selector, text]) => {
            const node = document.querySelector(selector).firstChild;
            const start = node.data.indexOf(text);
            const range = document.createRange();
            range.setStart(node, start);
            range.setEnd(node, start + text.length);
            const selection = document.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
        }""",
        [selector, text],
    )


def post_in_panel(page: Page, text: str) -> None:
    panel = page.locator("[data-comments-panel] .pp")
    panel.get_by_role("textbox", name="What do you think?").fill(text)
    panel.get_by_role("button", name="Post comment").click()
    expect(panel.locator(".c .body", has_text=text)).to_be_visible()


def stored_anchors(service: Service, article: str) -> list[dict[str, Any]]:
    response = service.app.test_client().get(
        f"/api/v1/sites/{SITE}/thread", query_string={"article": article})
    return [c["anchor"] for c in response.get_json()["comments"]]


def test_reader_comments_on_passages_by_marker_and_by_selection_and_counts_stay_after_reload(
    page: Page, service: Service
) -> None:
    article = service.new_article()
    page.goto(service.page(article, before=article_html(INTRO, BRIDGE, CLOSING)))
    intro = page.locator('p[data-comments-passage="p1"]')
    bridge = page.locator('p[data-comments-passage="p2"]')
    expect(marker(page, intro)).to_have_attribute("aria-label", "Comment on this passage")

    # By the marker: the panel opens below the passage, quoting it.
    marker(page, intro).click()
    expect(marker(page, intro)).to_have_attribute("aria-expanded", "true")
    expect(page.locator("[data-comments-panel] .quote")).to_have_text(INTRO)
    post_in_panel(page, "Our street flooded too.")
    expect(marker(page, intro)).to_have_text("1")
    expect(marker(page, intro)).to_have_attribute("aria-label", "1 comment on this passage")
    marker(page, intro).click()
    expect(page.locator("[data-comments-panel]")).to_have_count(0)

    # By a selection: "Comment on this" appears beside the passage it was made in.
    select_text(page, 'p[data-comments-passage="p2"]', "old bridge held")
    pick = bridge.locator("[data-comments-marker]").get_by_role(
        "button", name="Comment on this", exact=True)
    expect(pick).to_be_visible()
    expect(intro.get_by_role("button", name="Comment on this", exact=True)).to_be_hidden()
    pick.click()
    expect(page.locator("[data-comments-panel] .quote")).to_have_text("old bridge held")
    post_in_panel(page, "Good to hear.")
    expect(marker(page, bridge)).to_have_text("1")
    expect(thread_comments(page)).to_have_count(2)

    assert stored_anchors(service, article) == [
        {"passage_key": "p1", "quote": INTRO, "prefix": "", "suffix": ""},
        {"passage_key": "p2", "quote": "old bridge held", "prefix": "Engineers said the ",
         "suffix": ". They will inspect it again on "},
    ]

    page.reload()
    expect(marker(page, intro)).to_have_text("1")
    expect(marker(page, bridge)).to_have_text("1")
    expect(marker(page, page.locator('p[data-comments-passage="p3"]'))).to_have_text("+")
    expect(thread_comments(page).locator(".pq .quote")).to_have_text([INTRO, "old bridge held"])
    expect(page.locator("#comments .changed")).to_have_count(0)

    # A reply in the main thread counts for its root's passage; deleting it uncounts it.
    first = thread_comments(page).nth(0)
    first.locator(".actions > .reply").click()
    first.get_by_role("textbox", name="Your reply to Anonymous").fill("Which street?")
    first.get_by_role("button", name="Post reply").click()
    expect(marker(page, intro)).to_have_text("2")
    reply = first.locator(".replies .c")
    reply.locator(".actions > .delete").click()
    reply.get_by_role("button", name="Delete").last.click()
    expect(first.locator(".replies .c")).to_have_count(0)
    expect(marker(page, intro)).to_have_text("1")

    # The main thread filters to one passage, and back.
    thread_comments(page).nth(1).get_by_role("button", name="Only this passage").click()
    expect(thread_comments(page)).to_have_count(1)
    expect(thread_comments(page).locator(".body")).to_have_text("Good to hear.")
    page.locator("#comments").get_by_role("button", name="Show all comments").click()
    expect(thread_comments(page)).to_have_count(2)


def test_anchor_is_found_after_its_paragraph_gains_a_sentence(
    page: Page, service: Service
) -> None:
    """Marked passages: the quote is still found in p2 (no "changed" note)."""
    article = service.new_article()
    service.post(article, "Relieved.", anchor={
        "passage_key": "p2", "quote": "old bridge held", "prefix": "Engineers said the ",
        "suffix": ". They will inspect it again "})
    edited = "Engineers said the old bridge held. Divers checked its piers at dawn. " \
             "They will inspect it again on Monday."
    page.goto(service.page(article, before=article_html(INTRO, edited, CLOSING)))
    expect(marker(page, page.locator('p[data-comments-passage="p2"]'))).to_have_text("1")
    expect(thread_comments(page).locator(".pq .quote")).to_have_text("old bridge held")
    expect(page.locator("#comments .changed")).to_have_count(0)


def test_automatic_paragraph_anchor_lands_on_its_paragraph_after_edits(
    page: Page, service: Service
) -> None:
    """Automatic anchors: a paragraph inserted above and a sentence gained at the start
    change its position and its key; the marker still lands on it, found by its text."""
    article = service.new_article()
    page.goto(service.page(article, attrs='data-passages="auto"',
                           before=article_html(INTRO, BRIDGE, CLOSING, keys=False)))
    expect(marker(page, page.locator("article p").nth(1))).to_have_text("+")
    select_text(page, "article p:nth-of-type(2)", "old bridge held")
    page.locator("article p").nth(1).locator("[data-comments-marker]").get_by_role(
        "button", name="Comment on this", exact=True).click()
    post_in_panel(page, "Relieved.")
    expect(marker(page, page.locator("article p").nth(1))).to_have_text("1")

    edited = "Late on Sunday the water reached the deck. " + BRIDGE
    page.goto(service.page(article, attrs='data-passages="auto"', before=article_html(
        INTRO, "Schools stay closed.", edited, CLOSING, keys=False)))
    paragraphs = page.locator("article p")
    expect(marker(page, paragraphs.nth(2))).to_have_text("1")
    for other in (0, 1, 3):
        expect(marker(page, paragraphs.nth(other))).to_have_text("+")
    expect(page.locator("#comments .changed")).to_have_count(0)

    # A comment on the moved paragraph joins the same discussion.
    marker(page, paragraphs.nth(2)).click()
    panel = page.locator("[data-comments-panel] .pp")
    expect(panel.locator(".c .body")).to_have_text("Relieved.")
    post_in_panel(page, "Me too.")
    expect(marker(page, paragraphs.nth(2))).to_have_text("2")


def test_removed_passage_shows_changed_note_and_quotes_stay_text(
    page: Page, service: Service
) -> None:
    article = service.new_article()
    hostile = '<img src=x onerror="window.__pwned = 1">'
    service.post(article, "About the bridge.", anchor={
        "passage_key": "p2", "quote": hostile, "prefix": "", "suffix": ""})
    service.post(article, "About the river.", anchor={
        "passage_key": "p1", "quote": "river rose", "prefix": "The ", "suffix": " by a metre"})
    page.add_init_script("window.__pwned = 0;")
    page.goto(service.page(article, before=article_html(INTRO, CLOSING.replace("F", "f"))
                           .replace('data-comments-passage="p2"', 'data-comments-passage="p9"')))

    bridge, river = thread_comments(page).nth(0), thread_comments(page).nth(1)
    expect(bridge.locator(".changed")).to_have_text("The passage this refers to has changed.")
    expect(bridge.locator(".quote")).to_have_text(hostile)
    expect(river.locator(".changed")).to_have_count(0)
    expect(marker(page, page.locator('p[data-comments-passage="p1"]'))).to_have_text("1")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#comments").locator("img")).to_have_count(0)
    assert page.evaluate("window.__pwned") == 0


def test_changed_note_speaks_german(page: Page, service: Service) -> None:
    article = service.new_article()
    service.post(article, "Hm.", anchor={"passage_key": "gone", "quote": "x"})
    page.goto(service.page(article, lang="de", before=article_html(INTRO)))
    expect(page.locator("#comments .changed")).to_have_text(
        "Die Passage, auf die sich das bezieht, wurde geändert.")
    expect(marker(page, page.locator('p[data-comments-passage="p1"]'))).to_have_attribute(
        "aria-label", "Diese Passage kommentieren")


def test_page_without_passages_shows_quotes_but_no_changed_note_or_marker(
    page: Page, service: Service
) -> None:
    """A page that marks no passages (a listing, an app view) has nothing to compare with."""
    article = service.new_article()
    service.post(article, "On the river.", anchor={"passage_key": "p1", "quote": "river rose"})
    page.goto(service.page(article, before="<p>Some other page.</p>"))
    expect(thread_comments(page).locator(".quote")).to_have_text("river rose")
    expect(page.locator("#comments .changed")).to_have_count(0)
    expect(page.locator("[data-comments-marker]")).to_have_count(0)
