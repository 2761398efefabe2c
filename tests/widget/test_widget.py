"""The embeddable widget in a real browser: chromium, the real service, a host on another origin.

Every test embeds the widget the way a site owner does (the documented snippet on a
page of another origin) and acts as a reader would: through labels, buttons and
what is visible. Nothing is mocked: posts, CORS, rate limits and CSP are the real ones.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

from comments_service.extensions import db
from comments_service.services import posting, sites
from comments_service.services.posting import Author, CommentDraft
from comments_service.web import DEMO_ARTICLE, DEMO_RELATED
from tests.widget.conftest import ARTIFACTS, SITE, Service, requires_chromium

pytestmark = requires_chromium


def comment_id(page: Page, text: str) -> str:
    """The element id (c<id>) of the one comment whose own body shows `text`."""
    body = page.locator(".c .body", has_text=text)
    expect(body).to_have_count(1)
    return body.evaluate("el => el.closest('.c').id")


def own(page: Page, cid: str, part: str) -> Locator:
    """A part of one comment itself, not of its replies (.head, .body, .actions, .slot)."""
    return page.locator(f"#{cid} > .main > {part}")


def post_top_level(page: Page, markdown: str, shown: str | None = None, name: str = "") -> None:
    """Post through the form; wait until the comment shows (as `shown`, if Markdown changes it)."""
    page.get_by_label("What do you think?").fill(markdown)
    if name:
        page.locator(".compose").get_by_label("Name").fill(name)
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator(".c .body", has_text=shown or markdown)).to_be_visible()


def reply_to(page: Page, cid: str, text: str) -> str:
    own(page, cid, ".actions > .reply").click()
    form = own(page, cid, ".slot")
    form.get_by_role("textbox", name=re.compile("Your reply")).fill(text)
    form.get_by_role("button", name="Post reply").click()
    return comment_id(page, text)


def background_luminance(page: Page) -> float:
    rgb = page.locator(".cs").evaluate("el => getComputedStyle(el).backgroundColor")
    red, green, blue = (int(part) for part in re.findall(r"\d+", rgb)[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


# ---- posting and reading ------------------------------------------------------------


def test_reader_posts_then_replies_three_levels_deep_and_sees_it_after_reload(
    page: Page, service: Service
) -> None:
    article = service.new_article()
    url = service.page(article, before=f'<a id="byline" data-comments-count="{article}">x</a>')
    page.goto(url)
    expect(page.get_by_text("No comments yet.")).to_be_visible()

    post_top_level(page, "The bridge looks great.", name="Ada")
    expect(page.get_by_role("status")).to_have_text("Your comment was posted.")
    expect(page.locator("#byline")).to_have_text("1 comment")
    top = comment_id(page, "The bridge looks great.")
    expect(own(page, top, ".head .name")).to_have_text("Ada")

    one = reply_to(page, top, "First reply")
    two = reply_to(page, one, "Second level")
    three = reply_to(page, two, "Third level down")
    expect(page.locator("h2.count")).to_have_text("4 comments")
    expect(page.locator("#byline")).to_have_text("4 comments")

    chain = (f"#{top} > .main > .replies > #{one} > .main > .replies > #{two}"
             " > .main > .replies > #" + three)
    page.reload()
    expect(page.locator(chain)).to_have_count(1)
    expect(page.locator(".compose").get_by_label("Name")).to_have_value("Ada")
    lefts = [page.locator(f"#{cid} > .main > .body").bounding_box()["x"]
             for cid in (top, one, two, three)]
    assert lefts == sorted(lefts), lefts
    assert len(set(lefts)) == 4, lefts


def test_keyboard_alone_can_post_and_reply(page: Page, service: Service) -> None:
    article = service.new_article()
    page.goto(service.page(article))
    page.get_by_label("What do you think?").focus()
    page.keyboard.type("Typed without a mouse")
    page.keyboard.press("Tab")
    expect(page.locator(".compose").get_by_label("Name")).to_be_focused()
    page.keyboard.type("Kim")
    page.keyboard.press("Tab")
    email = page.locator(".compose").get_by_role("textbox", name=re.compile(r"^Email"))
    expect(email).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator(".compose").get_by_label("Email me about")).to_be_focused()
    page.keyboard.press("Tab")
    # issue 22: the Preview toggle sits just before the submit button.
    expect(page.locator(".compose").get_by_role("button", name="Preview")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Post comment")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Your comment was posted.")

    top = comment_id(page, "Typed without a mouse")
    own(page, top, ".actions > .reply").focus()
    page.keyboard.press("Enter")
    reply_box = own(page, top, ".slot").get_by_role("textbox", name="Your reply to Kim")
    expect(reply_box).to_be_focused()
    page.keyboard.type("A reply, also by keyboard")
    own(page, top, ".slot").get_by_role("button", name="Post reply").focus()
    page.keyboard.press("Enter")
    reply = comment_id(page, "A reply, also by keyboard")
    expect(page.locator(f"#{reply}")).to_be_focused()
    expect(page.locator(".compose").get_by_label("Name")).to_have_value("Kim")


def test_reply_past_the_depth_cap_lands_beside_and_says_whom_it_answers(
    page: Page, make_service: Any
) -> None:
    shallow = make_service(comments={"max_depth": 1})
    article = shallow.new_article()
    top = shallow.post(article, "Top", name="Uma")
    shallow.post(article, "At the cap", name="Vic", parent=top)
    page.goto(shallow.page(article))

    capped = comment_id(page, "At the cap")
    beside = reply_to(page, capped, "Answer to Vic")
    expect(page.locator(f"#c{top} > .main > .replies > #{beside}")).to_have_count(1)
    expect(own(page, beside, ".head .reply-to")).to_have_text("replying to Vic")


def test_load_more_pages_top_level_comments_and_sort_reorders(
    page: Page, service: Service
) -> None:
    article = service.new_article()
    for number in range(1, 8):
        service.post(article, f"Comment number {number}")
    page.goto(service.page(article))

    top_level = page.locator(".list > .c")
    expect(top_level).to_have_count(5)
    page.get_by_role("button", name="Load more comments").click()
    expect(top_level).to_have_count(7)
    expect(page.get_by_role("button", name="Load more comments")).to_be_hidden()

    page.get_by_label("Sort by").select_option("newest")
    expect(top_level.first.locator("> .main > .body")).to_have_text("Comment number 7")
    expect(top_level).to_have_count(5)


def test_show_more_replies_fetches_the_rest_and_nests_them_by_parent(
    page: Page, service: Service
) -> None:
    article = service.new_article()
    root = service.post(article, "Root comment")
    first = service.post(article, "Reply one", parent=root)
    service.post(article, "Reply one-one", parent=first)
    third = service.post(article, "Reply two", parent=root)
    fourth = service.post(article, "Reply two-one", parent=third)
    service.post(article, "Reply two-one-one", parent=fourth)
    page.goto(service.page(article))

    more = page.get_by_role("button", name="Show 2 more replies")
    expect(more).to_be_visible()
    expect(page.get_by_text("Reply two-one-one")).to_have_count(0)
    more.click()
    expect(page.locator(f"#c{third} > .main > .replies > #c{fourth} > .main > .replies"
                        " > .c .body")).to_have_text("Reply two-one-one")
    expect(more).to_be_hidden()


def test_counts_on_an_index_page_arrive_in_one_request(page: Page, service: Service) -> None:
    busy, quiet, empty = (service.new_article() for _ in range(3))
    service.post(busy, "one")
    service.post(busy, "two")
    service.post(quiet, "only")
    links = "".join(
        f'<p><a href="#" data-site="{SITE}" data-comments-count="{key}">comments</a></p>'
        for key in (busy, quiet, empty)
    )
    index = service.host.add(
        f'<!doctype html><html lang="en"><body>{links}'
        f'<script src="{service.url}/embed.js" async></script></body></html>'
    )
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(index)

    expect(page.locator(f'[data-comments-count="{busy}"]')).to_have_text("2 comments")
    expect(page.locator(f'[data-comments-count="{quiet}"]')).to_have_text("1 comment")
    expect(page.locator(f'[data-comments-count="{empty}"]')).to_have_text("0 comments")
    count_requests = [url for url in requests if "/counts" in url]
    assert len(count_requests) == 1
    assert parse_qs(urlsplit(count_requests[0]).query)["article"] == [busy, quiet, empty]


# ---- failures, in words a reader understands ----------------------------------------


def test_rate_limited_post_asks_the_reader_to_wait_and_keeps_the_text(
    page: Page, make_service: Any
) -> None:
    limited = make_service(limits={"post_per_client": "2 per minute"})
    article = limited.new_article()
    limited.post(article, "first")
    limited.post(article, "second")  # the same address as the browser: the limit is used up
    page.goto(limited.page(article))

    typed = "A thoughtful comment I do not want to type twice."
    page.get_by_label("What do you think?").fill(typed)
    page.get_by_role("button", name="Post comment").click()

    alert = page.locator(".compose .alert")
    expect(alert).to_be_visible()
    expect(alert).to_have_text(
        re.compile(r"too quickly\. Please wait \d+ seconds?, then try again")
    )
    expect(page.get_by_label("What do you think?")).to_have_value(typed)
    expect(page.locator(".list > .c")).to_have_count(2)


def test_a_comment_held_for_moderation_is_acknowledged_not_shown(
    page: Page, make_service: Any
) -> None:
    """On a pre-moderated site the post answers 202 without a comment: the reader is told
    it awaits a moderator, the form is cleared, no error is thrown, and nothing is listed."""
    held = make_service()
    with held.app.app_context():
        site = sites.get_site(db.session, SITE)
        site.settings = {**(site.settings or {}), "premoderation": True}
        db.session.commit()
    article = held.new_article()
    page.goto(held.page(article))
    page.get_by_label("What do you think?").fill("Worth a moderator's look")
    with page.expect_response(lambda r: r.request.method == "POST") as answered:
        page.get_by_role("button", name="Post comment").click()
    assert answered.value.status == 202
    expect(page.locator(".compose .held")).to_have_text(
        "Thanks! Your comment will appear once a moderator has approved it.")
    expect(page.get_by_label("What do you think?")).to_have_value("")
    expect(page.locator(".compose .alert")).to_be_hidden()
    expect(page.locator(".list > .c")).to_have_count(0)


def test_invalid_field_is_explained_next_to_it_and_the_text_is_kept(
    page: Page, service: Service
) -> None:
    article = service.new_article()
    page.goto(service.page(article))
    typed = "My carefully written thoughts\n\nwith a second paragraph."
    page.get_by_label("What do you think?").fill(typed)
    email = page.locator(".compose").get_by_role("textbox", name=re.compile(r"^Email"))
    email.fill("not-an-email")
    page.get_by_role("button", name="Post comment").click()

    expect(page.locator(".compose .alert")).to_have_text("Please check the fields marked below.")
    expect(page.locator(".compose .field-author_email .field-error")).to_contain_text(
        "email address must have an @-sign"
    )
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_be_focused()
    expect(page.get_by_label("What do you think?")).to_have_value(typed)

    email.fill("")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator(".c .body")).to_contain_text("with a second paragraph.")
    expect(page.locator(".compose .alert")).to_be_hidden()


def test_service_going_down_gives_a_calm_message_and_keeps_the_text(
    new_page: Any, make_service: Any
) -> None:
    fragile = make_service()
    article = fragile.new_article()
    fragile.post(article, "Posted while the service was up")
    page = new_page()
    page.goto(fragile.page(article))
    expect(page.get_by_text("Posted while the service was up")).to_be_visible()

    fragile.server.stop()
    typed = "Text written while the service went away"
    page.get_by_label("What do you think?").fill(typed)
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator(".compose .alert")).to_have_text(
        re.compile("could not reach the comment service. Your text is still here")
    )
    expect(page.get_by_label("What do you think?")).to_have_value(typed)

    # A page opened now gets the script from the browser's cache and no answer from the API.
    page.goto(fragile.page(fragile.new_article()))
    expect(page.get_by_text("Comments are unavailable right now.")).to_be_visible()
    expect(page.get_by_role("button", name="Try again")).to_be_visible()


# ---- the author's own comments -------------------------------------------------------


def test_author_edits_and_deletes_own_comments_and_no_one_else_s(
    page: Page, service: Service
) -> None:
    article = service.new_article()
    service.post(article, "Someone else's comment")
    page.goto(service.page(article))
    theirs = comment_id(page, "Someone else's comment")
    expect(own(page, theirs, ".actions > .edit")).to_have_count(0)

    post_top_level(page, "Original *text*", "Original text")
    mine = comment_id(page, "Original text")
    own(page, mine, ".actions > .edit").click()
    editor = own(page, mine, ".slot").get_by_label("Edit your comment")
    expect(editor).to_have_value("Original *text*")
    editor.fill("Edited **text**")
    own(page, mine, ".slot").get_by_role("button", name="Save").click()
    expect(own(page, mine, ".body strong")).to_have_text("text")
    expect(own(page, mine, ".head .edited")).to_have_text("edited")

    # The edit token survives a reload (localStorage of the host page).
    post_top_level(page, "Mine, soon with a reply")
    parent = comment_id(page, "Mine, soon with a reply")
    service.post(article, "A reply that keeps it in place", parent=int(parent[1:]))
    page.reload()
    own(page, parent, ".actions > .delete").click()
    own(page, parent, ".slot").get_by_role("button", name="Delete").click()
    expect(own(page, parent, ".body")).to_have_text("This comment was deleted.")
    expect(page.get_by_text("A reply that keeps it in place")).to_be_visible()

    own(page, mine, ".actions > .delete").click()
    own(page, mine, ".slot").get_by_role("button", name="Delete").click()
    expect(page.locator(f"#{mine}")).to_have_count(0)
    expect(page.get_by_role("status")).to_have_text("Your comment was deleted.")
    page.reload()
    expect(page.get_by_text("Edited text")).to_have_count(0)
    expect(page.locator("h2.count")).to_have_text("2 comments")


# ---- isolation, themes, languages ----------------------------------------------------

HOSTILE_CSS = """
* { color: red !important; font-size: 0 !important; line-height: 0 !important;
    visibility: hidden !important; letter-spacing: 12px !important;
    font-family: "Comic Sans MS", cursive !important; }
div, section, form, textarea, input, button, article, p, h2, label { display: none !important; }
div { font-size: 0; }
#comments { display: none !important; height: 0 !important; overflow: hidden !important;
            opacity: 0 !important; position: absolute !important; left: -9999px !important; }
"""


def test_hostile_host_stylesheet_neither_hides_nor_breaks_the_widget(
    page: Page, service: Service
) -> None:
    article = service.new_article()
    service.post(article, "Readable despite the page's stylesheet")
    page.goto(service.page(article, head=f"<style>{HOSTILE_CSS}</style>"))

    body = page.locator(".c .body")
    expect(body).to_be_visible()
    style = body.evaluate(
        "el => { const s = getComputedStyle(el); return [s.fontSize, s.color, s.visibility]; }"
    )
    assert style[0] == "16px"
    assert style[1] != "rgb(255, 0, 0)"
    assert style[2] == "visible"
    host_box = page.locator("#comments").bounding_box()
    assert host_box["x"] >= 0
    assert host_box["height"] > 200

    post_top_level(page, "Posted through a hostile page")
    expect(page.locator("h2.count")).to_have_text("2 comments")


def test_widget_styles_do_not_leak_into_the_host_page(page: Page, service: Service) -> None:
    # The host uses the widget's own class names; the widget's stylesheet must not touch them.
    probe = '<p class="c body btn primary count" id="probe">Host text</p>'
    page.goto(service.page(service.new_article(), before=probe))
    expect(page.get_by_label("What do you think?")).to_be_visible()
    style = page.locator("#probe").evaluate(
        "el => { const s = getComputedStyle(el); return [s.display, s.backgroundColor]; }"
    )
    assert style == ["block", "rgba(0, 0, 0, 0)"]


def test_dark_theme_follows_the_reader_and_data_theme_overrides_it(
    new_page: Any, service: Service
) -> None:
    dark_reader = new_page(color_scheme="dark")
    dark_reader.goto(service.page(service.new_article()))
    expect(dark_reader.get_by_label("What do you think?")).to_be_visible()
    assert background_luminance(dark_reader) < 60

    dark_reader.goto(service.page(service.new_article(), attrs='data-theme="light"'))
    expect(dark_reader.get_by_label("What do you think?")).to_be_visible()
    assert background_luminance(dark_reader) > 200

    light_reader = new_page(color_scheme="light")
    light_reader.goto(service.page(service.new_article(), attrs='data-theme="dark"'))
    expect(light_reader.get_by_label("What do you think?")).to_be_visible()
    assert background_luminance(light_reader) < 60


def test_arabic_page_gets_a_right_to_left_widget(page: Page, service: Service) -> None:
    article = service.new_article()
    service.post(article, "مرحبا")
    page.goto(service.page(article, lang="ar"))

    expect(page.get_by_label("ما رأيك؟")).to_be_visible()
    widget = page.locator(".cs")
    expect(widget).to_have_attribute("dir", "rtl")
    expect(widget).to_have_attribute("lang", "ar")
    assert widget.evaluate("el => getComputedStyle(el).direction") == "rtl"
    expect(page.get_by_role("button", name="انشر التعليق")).to_be_visible()
    # Right to left: the avatar sits to the right of the comment's text.
    avatar = page.locator(".c .avatar").bounding_box()
    text = page.locator(".c .body").bounding_box()
    assert avatar["x"] > text["x"] + text["width"] - 1


def test_data_lang_chooses_german_over_the_page_language(page: Page, service: Service) -> None:
    page.goto(service.page(service.new_article(), lang="en", attrs='data-lang="de"'))
    expect(page.get_by_label("Was denken Sie?")).to_be_visible()
    expect(page.get_by_role("button", name="Kommentar senden")).to_be_visible()
    expect(page.locator(".cs")).to_have_attribute("dir", "ltr")


# ---- security ------------------------------------------------------------------------

VIOLATIONS_PROBE = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI), true);
"""


def test_widget_works_on_a_page_with_a_strict_content_security_policy(
    page: Page, service: Service
) -> None:
    article = service.new_article()
    service.post(article, "Already *here*")
    policy = (
        "default-src 'none'; "
        f"script-src {service.url}; style-src {service.url}; connect-src {service.url}; "
        "img-src 'none'; base-uri 'none'; form-action 'none'; "
        "require-trusted-types-for 'script'; trusted-types comments-service"
    )
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(VIOLATIONS_PROBE)
    page.goto(service.page(article, headers={"Content-Security-Policy": policy}))

    expect(page.locator(".c .body em")).to_have_text("here")
    post_top_level(page, "Posted **under** a strict policy", "Posted under a strict policy")
    expect(page.locator(".c .body strong")).to_have_text("under")
    # The stylesheet applied: the primary button has the accent background.
    button = page.get_by_role("button", name="Post comment")
    assert button.evaluate("el => getComputedStyle(el).backgroundColor") != "rgba(0, 0, 0, 0)"
    assert page.evaluate("window.__violations") == []
    assert not [text for text in console if "Content Security Policy" in text
                or "Trusted Type" in text]


def test_markup_typed_by_a_reader_is_shown_as_text_and_never_runs(
    page: Page, service: Service
) -> None:
    article = service.new_article()
    hostile = ('<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
               ' [click](javascript:window.__pwned=3) <svg onload="window.__pwned=4">')
    hostile_name = '<img src=x onerror="window.__pwned = 5">'
    service.post(article, hostile, name=hostile_name)
    page.add_init_script("window.__pwned = 0;")
    page.goto(service.page(article))

    expect(page.locator(".c .head .name")).to_have_text(hostile_name)
    expect(page.locator(".c .body")).to_contain_text("<script>window.__pwned = 1</script>")

    page.get_by_label("What do you think?").fill(hostile)
    page.locator(".compose").get_by_label("Name").fill(hostile_name)
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator(".list > .c")).to_have_count(2)
    page.reload()
    expect(page.locator(".list > .c")).to_have_count(2)
    page.wait_for_load_state("networkidle")
    widget = page.locator("#comments")
    expect(widget.locator("img, script, svg")).to_have_count(0)
    expect(widget.locator('a[href^="javascript"]')).to_have_count(0)
    assert page.evaluate("window.__pwned") == 0


# ---- features whose API lands separately: enabled by the service's /config -----------


def test_notify_choice_is_sent_with_the_comment(page: Page, service: Service) -> None:
    if service.site_config().get("notifications") is not True:
        pytest.skip("waits for the notifications API: /config has no \"notifications\": true "
                    "(turn it on in tests/widget/conftest.py SERVICE_OVERRIDES when it lands)")
    article = service.new_article()
    page.goto(service.page(article))
    compose = page.locator(".compose")
    page.get_by_label("What do you think?").fill("Tell me about replies")
    compose.get_by_role("textbox", name=re.compile(r"^Email")).fill("reader@example.org")
    compose.get_by_label("Email me about").select_option("replies")
    with page.expect_request(lambda r: r.method == "POST" and "/comments" in r.url) as posted:
        page.get_by_role("button", name="Post comment").click()
    assert posted.value.post_data_json["notify"] == "replies"
    expect(page.get_by_role("status")).to_have_text("Your comment was posted.")


def test_reader_reports_a_comment_once(page: Page, service: Service) -> None:
    if service.site_config().get("flags") is not True:
        pytest.skip("waits for the flags API: /config has no \"flags\": true "
                    "(turn it on in tests/widget/conftest.py SERVICE_OVERRIDES when it lands)")
    article = service.new_article()
    service.post(article, "A comment someone will report")
    page.goto(service.page(article))
    cid = comment_id(page, "A comment someone will report")

    own(page, cid, ".actions > .flag").click()
    panel = own(page, cid, ".slot")
    panel.get_by_label("Off topic").check()
    panel.get_by_label(re.compile("Anything a moderator should know")).fill("Unrelated advert")
    panel.get_by_role("button", name="Send report").click()
    expect(panel).to_have_text("Thank you. A moderator will take a look.")

    page.reload()
    own(page, cid, ".actions > .flag").click()
    own(page, cid, ".slot").get_by_role("button", name="Send report").click()
    expect(own(page, cid, ".slot")).to_have_text("You have already reported this comment.")


# ---- the demo page, and the screenshot of it ----------------------------------------

DEMO_THREAD = (
    # (key, parent key, name, minutes ago, Markdown)
    ("idris", None, "Idris Okafor", 190,
     "Cycled across at ten past six this morning. Nine minutes to the hospital instead of "
     "forty. I had forgotten how good the view of the harbour is from the top."),
    ("helena", "idris", "Helena Brandt", 150,
     "Same here. The wider footpath makes a real difference when the runners come through."),
    ("tom", "helena", "Tom Kwan", 95,
     "Agreed, though the **north ramp** is still steep for anyone with a pram. Any word on "
     "whether the lift is coming back?"),
    ("ana", "tom", "Ana Ruiz", 40,
     "The council page says the lift reopens *in the spring*, once the new motor is in."),
    ("sofia", None, "Sofia Marques", 120,
     "Four per cent under the revised budget is a nice line, but the revised budget was "
     "twice the original. I would like to see the yearly inspection reports actually "
     "published, as promised."),
    ("marek", "sofia", "Marek Nowak", 60,
     "> published every year from now on\n\nThe article says so. Let's hold them to it."),
    ("june", None, "June Whitfield", 25,
     "Routes 4 and 11 back on Monday is the real news for our street. Thank you for the "
     "clear write-up."),
)


def _seed_demo_thread(service: Service) -> None:
    settings = service.app.extensions["comments_settings"]
    now = datetime.now(UTC)
    with service.app.app_context():
        site = sites.create_site(db.session, "demo", "Demo site", [service.url], now)
        ids: dict[str, int] = {}
        for key, parent, name, minutes, body in DEMO_THREAD:
            draft = CommentDraft(
                article_key=DEMO_ARTICLE, body=body, author_name=name,
                parent_id=ids[parent] if parent else None,
            )
            author = Author(client_hash=key, secret="demo-seed")
            posted = posting.post_comment(
                db.session, site, draft, author, settings.comments,
                now - timedelta(minutes=minutes),
            )
            ids[key] = posted.comment.id
        for number, (key, _title) in enumerate(DEMO_RELATED[:2]):
            for index in range(number * 3 + 2):
                posting.post_comment(
                    db.session, site, CommentDraft(article_key=key, body=f"comment {index}"),
                    Author(client_hash=None, secret="demo-seed"), settings.comments, now,
                )
        db.session.commit()


def test_demo_page_shows_a_thread_three_levels_deep_under_its_csp(
    new_page: Any, service: Service
) -> None:
    _seed_demo_thread(service)
    page = new_page(viewport={"width": 1280, "height": 1000})
    page.add_init_script(VIOLATIONS_PROBE)
    response = page.goto(f"{service.url}/demo")
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]

    deepest = page.locator(".replies .replies .replies .c .body")
    expect(deepest).to_contain_text("reopens in the spring")
    expect(page.get_by_label("What do you think?")).to_be_visible()
    expect(page.locator(".byline [data-comments-count]")).to_have_text("7 comments")
    expect(page.locator(f'[data-comments-count="{DEMO_RELATED[0][0]}"]')).to_have_text(
        "2 comments"
    )
    page.locator(".compose").get_by_label("Name").fill("Mara")
    page.get_by_label("What do you think?").fill(
        "Thanks for reading! The bus timetable changes are on page 4."
    )
    page.evaluate("document.fonts.ready")
    assert page.evaluate("window.__violations") == []

    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".discussion").screenshot(path=ARTIFACTS / "demo-thread.png")
    page.screenshot(path=ARTIFACTS / "demo-page.png", full_page=True)


def test_a_german_page_fetches_only_the_german_catalogue_with_the_first_page(
    page: Page, service: Service
) -> None:
    """English is built in; another language costs one more small request, made while
    the config and the first page are asked for, never one per string or per language."""
    article = service.new_article()
    service.post(article, "Schon da")
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(service.page(article, lang="de"))
    expect(page.get_by_label("Was denken Sie?")).to_be_visible()
    expect(page.locator(".c .body", has_text="Schon da")).to_be_visible()
    catalogues = [url for url in asked if "/embed-i18n/" in url]
    assert len(catalogues) == 1
    assert catalogues[0].endswith("/de.json")
    thread = next(i for i, url in enumerate(asked) if "/thread?" in url)
    assert asked.index(catalogues[0]) < thread + 3  # asked together, not after the page


def test_an_english_page_fetches_no_catalogue(page: Page, service: Service) -> None:
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(service.page(service.new_article(), lang="en"))
    expect(page.get_by_label("What do you think?")).to_be_visible()
    assert not [url for url in asked if "/embed-i18n/" in url]


def test_a_japanese_page_shows_the_japanese_widget_from_its_catalogue_alone(
    page: Page, service: Service
) -> None:
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(service.page(service.new_article(), lang="ja"))
    expect(page.get_by_label("ご意見をお聞かせください")).to_be_visible()
    expect(page.get_by_role("button", name="コメントを投稿")).to_be_visible()
    catalogues = [url for url in asked if "/embed-i18n/" in url]
    assert [url.rsplit("/", 1)[1] for url in catalogues] == ["ja.json"]


def test_polish_counts_take_the_plural_form_cldr_gives_each_number(
    page: Page, service: Service
) -> None:
    two, five = service.new_article(), service.new_article()
    for n in range(2):
        service.post(two, f"Komentarz {n}")
    for n in range(5):
        service.post(five, f"Komentarz {n}")
    page.goto(service.page(two, lang="pl"))
    expect(page.locator("h2.count")).to_have_text("2 komentarze")
    page.goto(service.page(five, lang="pl"))
    expect(page.locator("h2.count")).to_have_text("5 komentarzy")


def test_region_and_script_tags_find_their_catalogue(page: Page, service: Service) -> None:
    """zh-TW is written in Traditional characters, pt alone is Brazilian Portuguese."""
    page.goto(service.page(service.new_article(), lang="zh-TW"))
    expect(page.get_by_label("您有什麼看法？")).to_be_visible()  # noqa: RUF001
    page.goto(service.page(service.new_article(), lang="pt"))
    expect(page.locator(".cs")).to_have_attribute("lang", "pt-BR")


def test_a_hebrew_page_lays_the_widget_out_right_to_left(page: Page, service: Service) -> None:
    page.goto(service.page(service.new_article(), lang="he"))
    expect(page.get_by_label("מה דעתכם?")).to_be_visible()
    widget = page.locator(".cs")
    expect(widget).to_have_attribute("dir", "rtl")
    assert widget.evaluate("el => getComputedStyle(el).direction") == "rtl"
