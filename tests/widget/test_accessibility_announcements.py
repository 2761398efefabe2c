"""Screen readers: what happens is said through the widget's one polite live region.

One page on a pre-moderated site: a post refused with its reason, a post held for
moderation, then (pre-moderation off) a post published, and another reader's comment
arriving. The widget has exactly one live region (no role=alert or role=status
elsewhere), the thread is a labelled region and each comment an article named by its
author and its time.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from comments_service.extensions import db
from comments_service.services import sites
from tests.widget.conftest import SITE, Service, requires_chromium

pytestmark = requires_chromium

LIVE_REGIONS = "[aria-live], [role=status], [role=alert], [role=log]"


def set_premoderation(service: Service, on: bool) -> None:
    with service.app.app_context():
        site = sites.get_site(db.session, SITE)
        site.settings = {**(site.settings or {}), "premoderation": on}
        db.session.commit()


def test_post_held_refused_and_new_comments_are_announced_in_one_polite_region(
    new_page: Any, make_service: Any
) -> None:
    service: Service = make_service()
    set_premoderation(service, True)
    article = service.new_article()
    page: Page = new_page()
    page.goto(service.page(article))
    widget = page.locator("#comments")
    expect(page.get_by_role("region", name="Comments")).to_be_visible()
    live = widget.locator("[aria-live]")
    expect(live).to_have_attribute("aria-live", "polite")
    box = page.get_by_label("What do you think?")
    post = page.get_by_role("button", name="Post comment")

    box.fill("My first thought.")
    widget.get_by_role("textbox", name=re.compile("^Email")).fill("a@b")
    post.click()
    expect(live).to_have_text(re.compile(
        r"^Please check the fields marked below\. The part after the @-sign is not valid"))

    widget.get_by_role("textbox", name=re.compile("^Email")).fill("")
    post.click()
    expect(live).to_have_text(
        "Thanks! Your comment will appear once a moderator has approved it.")

    set_premoderation(service, False)
    box.fill("Now without a moderator.")
    widget.locator(".compose").get_by_label("Name").fill("Ann")
    post.click()
    expect(live).to_have_text("Your comment was posted.")
    expect(page.get_by_role("article", name=re.compile(r"^Ann (just now|\d+ seconds? ago)$"))
           ).to_be_visible()

    service.post(article, "From another reader.", name="Bo")
    expect(live).to_have_text("1 new comment", timeout=15000)
    widget.get_by_role("button", name="1 new comment").click()
    expect(page.get_by_role("article", name=re.compile(r"^Bo "))).to_be_focused()
    expect(live).to_have_text("1 more comment loaded.")

    # Open every form a reader can open: still one live region in the widget.
    widget.locator(".actions .reply").first.click()
    expect(widget.locator(".reply-form")).to_be_visible()
    assert widget.locator(LIVE_REGIONS).count() == 1
