"""Votes in the widget, in real chromium against the real service on another origin.

Issue 9's "done when": a vote changes the order of the top sort, and a second vote by
the same reader does not count.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from comments_service.extensions import db
from comments_service.models import Comment, Vote
from tests.widget.conftest import Service, requires_chromium

pytestmark = requires_chromium


def sort_top(page: Page) -> None:
    page.get_by_label("Sort by").select_option("top")


def first_body(page: Page) -> Any:
    return page.locator(".list > .c").first.locator("> .main > .body")


def up_button(page: Page, ident: int) -> Any:
    return page.locator(f"#c{ident} > .main > .actions").get_by_role(
        "button", name="Up vote", exact=False)


def stored_votes(service: Service, ident: int) -> tuple[int, int]:
    with service.app.app_context():
        upvotes = db.session.execute(
            select(Comment.upvotes).where(Comment.id == ident)).scalar_one()
        rows = db.session.execute(
            select(func.count()).select_from(Vote).where(Vote.comment_id == ident)).scalar_one()
        db.session.remove()
    return upvotes, rows


def test_a_vote_moves_a_comment_up_the_top_sort_and_repeated_clicks_count_once(
    page: Page, service: Service
) -> None:
    article = service.new_article()
    older = service.post(article, "The older comment")
    service.post(article, "The newer comment")
    page.goto(service.page(article))
    sort_top(page)
    # No votes yet: equal ranks, newest first.
    expect(first_body(page)).to_have_text("The newer comment")

    button = up_button(page, older)
    expect(button).to_have_accessible_name("Up vote (0)")
    expect(button).to_have_attribute("aria-pressed", "false")
    button.click()
    expect(button).to_have_accessible_name("Up vote (1)")
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button).to_be_focused()

    page.reload()
    sort_top(page)
    expect(first_body(page)).to_have_text("The older comment")
    button = up_button(page, older)
    expect(button).to_have_accessible_name("Up vote (1)")
    expect(button).to_have_attribute("aria-pressed", "true")

    # The same reader clicking again undoes; once more votes again: never a second vote.
    button.click()
    expect(button).to_have_accessible_name("Up vote (0)")
    expect(button).to_have_attribute("aria-pressed", "false")
    button.click()
    expect(button).to_have_accessible_name("Up vote (1)")
    page.reload()
    sort_top(page)
    expect(first_body(page)).to_have_text("The older comment")
    expect(up_button(page, older)).to_have_accessible_name("Up vote (1)")
    assert stored_votes(service, older) == (1, 1)


def test_a_reader_who_clears_storage_gets_no_second_vote_from_the_same_address(
    new_page: Any, service: Service
) -> None:
    article = service.new_article()
    ident = service.post(article, "Only one vote per address")
    first = new_page()
    first.goto(service.page(article))
    up_button(first, ident).click()
    expect(up_button(first, ident)).to_have_accessible_name("Up vote (1)")

    # A fresh browser context: empty localStorage, so a new reader token, same address.
    second = new_page()
    second.goto(service.page(article))
    button = up_button(second, ident)
    expect(button).to_have_accessible_name("Up vote (1)")
    button.click()
    expect(second.locator(f"#c{ident} .vote-error")).to_have_text(
        "Someone on your network has already voted on this comment.")
    expect(button).to_have_attribute("aria-pressed", "false")
    assert stored_votes(service, ident) == (1, 1)


def test_voting_too_fast_gets_a_calm_message(page: Page, make_service: Any) -> None:
    limited = make_service(limits={"vote_per_client": "1 per minute"})
    article = limited.new_article()
    ident = limited.post(article, "Click me twice")
    page.goto(limited.page(article))
    button = up_button(page, ident)
    button.click()
    expect(button).to_have_accessible_name("Up vote (1)")
    button.click()
    expect(page.locator(f"#c{ident} .vote-error")).to_have_text(
        "You are voting a little too quickly. Please wait a moment.")
    expect(button).to_have_accessible_name("Up vote (1)")
    expect(button).to_have_attribute("aria-pressed", "true")


def test_where_down_votes_are_taken_a_reader_can_switch_from_up_to_down(
    page: Page, make_service: Any
) -> None:
    downs = make_service(votes={"downvotes": True})
    article = downs.new_article()
    ident = downs.post(article, "Debatable")
    page.goto(downs.page(article))
    actions = page.locator(f"#c{ident} > .main > .actions")
    up = actions.get_by_role("button", name="Up vote", exact=False)
    down = actions.get_by_role("button", name="Down vote", exact=False)
    up.click()
    expect(up).to_have_accessible_name("Up vote (1)")
    down.click()
    expect(down).to_have_accessible_name("Down vote (1)")
    expect(down).to_have_attribute("aria-pressed", "true")
    expect(up).to_have_accessible_name("Up vote (0)")
    expect(up).to_have_attribute("aria-pressed", "false")


def test_with_votes_off_no_vote_button_is_shown(
    page: Page, make_service: Any
) -> None:
    off = make_service(votes={"enabled": False})
    article = off.new_article()
    ident = off.post(article, "No votes here")
    page.goto(off.page(article))
    expect(page.locator(f"#c{ident} .body")).to_have_text("No votes here")
    expect(page.locator(f"#c{ident} .vote")).to_have_count(0)
