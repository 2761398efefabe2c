"""Keyboard only: every action of the widget reached with Tab and used with Enter or Space.

One page, one reader, no mouse: each control is reached by pressing Tab (Shift+Tab once
to go back) from where focus is, and at every stop on the way focus must be on an
element that shows a focus ring (not lost to <body>). Escape closes an open reply, edit,
report or delete panel, and a passage's panel, and puts focus back on the button that
opened it. After every action focus is somewhere a reader can continue from.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.widget.accessibility import assert_focus_shown, focused
from tests.widget.conftest import Service, requires_chromium

pytestmark = requires_chromium

ARTICLE_TEXT = """<main><article><h1>The new bridge</h1>
<p data-comments-passage="opening">The council opened the new river bridge on Monday.</p>
</article></main>"""
TAB_LIMIT = 120


def is_focused(target: Locator) -> bool:
    return target.evaluate("el => el.getRootNode().activeElement === el")


def tab_to(page: Page, target: Locator, key: str = "Tab") -> None:
    """Press Tab (or Shift+Tab) until `target` has focus; every stop shows its focus."""
    for _ in range(TAB_LIMIT):
        page.keyboard.press(key)
        if focused(page)["tag"] == "BODY":
            continue  # past the page's last control: the next Tab starts again at the top
        assert_focus_shown(page)
        if is_focused(target):
            return
    raise AssertionError(f"{target} not reached with {key} in {TAB_LIMIT} presses")


def thread(page: Page) -> Locator:
    return page.locator("#comments .list")


def by_body(page: Page, text: str) -> Locator:
    """The comment (article) whose own body says `text`."""
    return thread(page).locator("article.c", has=page.locator(
        ":scope > .main > .body", has_text=text))


def action(comment: Locator, kind: str) -> Locator:
    return comment.locator(f":scope > .main > .actions > .{kind}")


def test_every_action_works_with_the_keyboard_alone_and_escape_returns_focus(
    new_page: Any, service: Service
) -> None:
    article = service.new_article()
    for n in range(1, 7):  # pages of 5: "Load more" brings the sixth
        service.post(article, f"Top comment number {n}.", name=f"Reader {n}")
    first = int(by_id_of_first(service, article))
    for n in range(1, 5):  # 3 replies shown at first: "Show more replies" brings the fourth
        service.post(article, f"Reply number {n}.", name="Replier", parent=first)
    page: Page = new_page()
    page.goto(service.page(article, before=ARTICLE_TEXT))
    expect(thread(page).locator(":scope > .c")).to_have_count(5)

    # Passages: open a passage's panel from its marker, Escape, open again, post in it.
    marker = page.locator("[data-comments-passage=opening] [data-comments-marker] .mk").first
    tab_to(page, marker)
    page.keyboard.press("Enter")
    panel_box = page.locator("[data-comments-panel] textarea")
    expect(panel_box).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("[data-comments-panel]")).to_have_count(0)
    expect(marker).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.type("On the opening line.")
    tab_to(page, page.locator("[data-comments-panel] button[type=submit]"))
    page.keyboard.press("Enter")
    expect(page.locator("[data-comments-panel] .c .body")).to_have_text("On the opening line.")
    expect(marker).to_have_accessible_name(re.compile("1"))
    page.keyboard.press("Escape")
    expect(marker).to_be_focused()

    # Post a comment of our own.
    tab_to(page, page.locator("#comments .compose textarea"))
    page.keyboard.type("Written with the keyboard.")
    tab_to(page, page.get_by_role("button", name="Post comment"))
    page.keyboard.press("Enter")
    expect(by_body(page, "Written with the keyboard.")).to_be_visible()
    mine = page.locator("#" + by_body(page, "Written with the keyboard.").get_attribute("id"))
    assert_focus_shown(page)

    # Vote with Space; focus stays on the pressed button.
    one = by_body(page, "Top comment number 1.")
    up = action(one, "vote.up")
    tab_to(page, up)
    page.keyboard.press("Space")
    expect(up).to_have_accessible_name("Up vote (1)")
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(up).to_be_focused()

    # Reply: open, Escape back to the button, open again, post; the reply gets focus.
    reply = action(one, "reply")
    tab_to(page, reply)
    tab_to(page, up, "Shift+Tab")
    tab_to(page, reply)
    page.keyboard.press("Enter")
    expect(one.locator(".reply-form textarea")).to_be_focused()
    page.keyboard.type("Half a thought")
    page.keyboard.press("Escape")
    expect(one.locator(".reply-form")).to_have_count(0)
    expect(reply).to_be_focused()
    expect(reply).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    page.keyboard.type("A keyboard reply.")
    tab_to(page, one.get_by_role("button", name="Post reply"))
    page.keyboard.press("Enter")
    expect(by_body(page, "A keyboard reply.")).to_be_focused()

    # Report: open, Escape, open again, send with Space; the thanks get focus.
    two = by_body(page, "Top comment number 2.")
    flag = action(two, "flag")
    tab_to(page, flag)
    page.keyboard.press("Enter")
    expect(two.locator(".flag-form input[type=radio]").first).to_be_focused()
    page.keyboard.press("Escape")
    expect(two.locator(".flag-form")).to_have_count(0)
    expect(flag).to_be_focused()
    page.keyboard.press("Enter")
    tab_to(page, two.locator(".flag-form button[type=submit]"))
    page.keyboard.press("Space")
    expect(two.locator(".thanks")).to_be_focused()

    # "Show more replies" brings the last reply; focus goes on to it.
    more_replies = one.locator(":scope > .main > .more-replies")
    tab_to(page, more_replies)
    page.keyboard.press("Enter")
    expect(by_body(page, "Reply number 4.")).to_be_focused()

    # "Load more" brings the last comment and hides itself; focus goes on to the comment.
    tab_to(page, page.locator("#comments .more"))
    page.keyboard.press("Enter")
    expect(by_body(page, "Top comment number 6.")).to_be_focused()

    # Edit our comment: open, Escape, open again, save.
    edit = action(mine, "edit")
    tab_to(page, edit, "Shift+Tab")
    page.keyboard.press("Enter")
    expect(mine.locator(".edit-form textarea")).to_be_focused()
    page.keyboard.press("Escape")
    expect(edit).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("Edited with the keyboard.")
    tab_to(page, mine.get_by_role("button", name="Save"))
    page.keyboard.press("Enter")
    expect(mine.locator(":scope > .main > .body")).to_have_text("Edited with the keyboard.")
    expect(edit).to_be_focused()

    # Delete it: open, Escape, open again, confirm; focus lands on the heading.
    delete = action(mine, "delete")
    tab_to(page, delete)
    page.keyboard.press("Enter")
    confirm = mine.locator(".confirm .danger")
    expect(confirm).to_be_focused()
    page.keyboard.press("Escape")
    expect(delete).to_be_focused()
    page.keyboard.press("Enter")
    expect(confirm).to_be_focused()
    page.keyboard.press("Enter")
    expect(by_body(page, "Edited with the keyboard.")).to_have_count(0)
    expect(page.locator("#comments h2.count")).to_be_focused()

    # Sort with the arrow keys on the focused list box; focus stays on it.
    sort = page.locator("#comments select#sort")
    tab_to(page, sort)
    page.keyboard.press("ArrowDown")
    expect(sort).to_have_value("newest")
    expect(thread(page).locator(":scope > .c").first).to_contain_text("On the opening line.")
    expect(sort).to_be_focused()

    # Another reader posts: the "1 new comment" button, then the comment, focused.
    service.post(article, "Meanwhile, from elsewhere.", name="Elsewhere")
    news = page.locator("#comments .new-comments")
    expect(news).to_have_text("1 new comment", timeout=15000)
    tab_to(page, news)
    page.keyboard.press("Enter")
    expect(by_body(page, "Meanwhile, from elsewhere.")).to_be_focused()

    # One passage's comments only, then all again: focus on the way back, then the heading.
    only = thread(page).locator(".pq button")
    tab_to(page, only)
    page.keyboard.press("Enter")
    expect(thread(page).locator(":scope > .c")).to_have_count(1)
    back = page.locator("#comments").get_by_role("button", name="Show all comments")
    expect(back).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#comments h2.count")).to_be_focused()
    expect(thread(page).locator(":scope > .c")).to_have_count(5)

    # The readers' data link opens its page.
    link = page.locator("#comments .my-data")
    tab_to(page, link)
    with page.context.expect_page() as opened:
        page.keyboard.press("Enter")
    opened.value.wait_for_load_state()
    assert "/my-data?site=" in opened.value.url


def by_id_of_first(service: Service, article: str) -> int:
    """The id of the article's first comment, read from the public API."""
    page = service.app.test_client().get(
        f"/api/v1/sites/news/thread?article={article}&sort=oldest").get_json()
    return page["comments"][0]["id"]
