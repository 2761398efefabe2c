"""Readers' own data: a link mailed to the address, then download or erase through it.

End to end with the real worker and a real SMTP server (aiosmtpd): the request,
the email and its link, the page, the JSON copy, the erasure and what it leaves.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from comments_service.extensions import db
from comments_service.models import (
    AuditEntry,
    Comment,
    NotifyAddress,
    OutboxMessage,
    ReaderDataRequest,
    Subscription,
    Thread,
)
from comments_service.notify import tokens
from comments_service.services import sites
from tests.conftest import SITE_ORIGIN, Api
from tests.notify.conftest import PUBLIC_URL, confirm, make_worker, subscribe

ANN = "ann@example.com"
BOB = "bob@example.com"


def _ask(api: Api, email: str) -> Any:
    return api.client.post(f"/api/v1/sites/{api.site}/reader-data", json={"email": email},
                           headers={"Origin": SITE_ORIGIN})


def _link_path(app: Flask, api: Api, smtp_server: Any, email: str = ANN) -> str:
    """Ask for the address's link, deliver it, and return its path (from the email)."""
    response = _ask(api, email)
    assert response.status_code == 202, response.get_json()
    make_worker(app).run_until_idle()
    [mail] = [m for m in smtp_server.sink.to(email) if "Your comments" in m.message["Subject"]]
    match = re.search(rf"{re.escape(PUBLIC_URL)}(/my-data/[^\s?]+)", mail.text)
    assert match, mail.text
    assert match.group(0) in mail.html
    return match.group(1)


def _count(app: Flask, model: Any, *where: Any) -> int:
    with app.app_context():
        query = select(func.count()).select_from(model).where(*where)
        return db.session.execute(query).scalar_one()


def _thread_counts(app: Flask, article: str) -> tuple[int, int]:
    with app.app_context():
        thread = db.session.execute(
            select(Thread).where(Thread.article_key == article)
        ).scalar_one()
        return thread.total_count, thread.visible_count


@pytest.fixture
def app(notify_app: Any) -> Flask:
    return notify_app()


@pytest.fixture
def api(app: Flask, site_factory: Any) -> Api:
    return site_factory(app)


def test_the_link_lists_downloads_and_erases_only_the_readers_comments(
    app: Flask, api: Api, smtp_server: Any
) -> None:
    """The whole path: Ann's link shows her 3 comments on 2 articles; the JSON copy holds
    exactly those (not Bob's); erasing deletes the two nobody answered, keeps the one
    Bob answered as an anonymous placeholder, and the thread's counts follow."""
    lone = api.posted_id("Ann's **first**", "a1", author_name="Ann", author_email=ANN)
    answered = api.posted_id("Ann, answered", "a1", author_name="Ann", author_email=ANN)
    bobs_reply = api.posted_id("Bob replies", "a1", author_name="Bob", author_email=BOB,
                               parent_id=answered)
    elsewhere = api.posted_id("Ann on a2", "a2", author_name="Ann", author_email=ANN)
    path = _link_path(app, api, smtp_server)

    page = api.client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "3 comments were posted with" in html
    assert "They are on 2 articles." in html
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"

    download = api.client.get(f"{path}/comments.json")
    assert download.status_code == 200
    assert download.mimetype == "application/json"
    assert "attachment" in download.headers["Content-Disposition"]
    document = json.loads(download.get_data(as_text=True))
    assert document["email"] == ANN
    assert document["site"] == {"slug": "news", "name": "News"}
    assert [c["id"] for c in document["comments"]] == [lone, answered, elsewhere]
    assert document["comments"][0]["body_markdown"] == "Ann's **first**"
    assert "<strong>first</strong>" in document["comments"][0]["body_html"]
    assert document["comments"][2]["article"] == "a2"
    assert document["comments"][0]["anchor"] is None

    erased = api.client.post(f"{path}/erase", data={"confirm": "yes"})
    assert erased.status_code == 200
    assert "2 comments deleted" in erased.get_data(as_text=True)
    assert "1 left as an empty placeholder" in erased.get_data(as_text=True)

    with app.app_context():
        assert db.session.get(Comment, lone) is None
        assert db.session.get(Comment, elsewhere) is None
        kept = db.session.get(Comment, answered)
        assert kept is not None
        assert (kept.status, kept.body_markdown, kept.author_name, kept.author_email) == (
            "deleted", "", None, None)
        assert db.session.get(Comment, bobs_reply).author_name == "Bob"
    assert _thread_counts(app, "a1") == (1, 1)  # Bob's reply; the placeholder counts for nothing
    assert _thread_counts(app, "a2") == (0, 0)
    tree = api.thread("a1").get_json()
    assert [c["id"] for c in tree["comments"]] == [answered]
    assert tree["comments"][0]["replies"][0]["id"] == bobs_reply
    assert _count(app, AuditEntry, AuditEntry.action == "reader_erase") == 3

    # The link is spent: its pages now say so, and erasing again changes nothing.
    assert api.client.get(f"{path}/comments.json").status_code == 400
    assert api.client.post(f"{path}/erase", data={"confirm": "yes"}).status_code == 400
    assert "were erased" in api.client.get(path).get_data(as_text=True)
    with app.app_context():
        request_row = db.session.execute(select(ReaderDataRequest)).scalar_one()
        assert request_row.email == ""  # the address is not kept once used


def test_a_reply_of_the_readers_own_is_erased_with_the_comment_it_answers(
    app: Flask, api: Api, smtp_server: Any
) -> None:
    """Deepest first: Ann's comment whose only reply is Ann's own leaves no placeholder."""
    top = api.posted_id("Ann top", author_email=ANN, author_name="Ann")
    api.posted_id("Ann replies to herself", author_email=ANN, author_name="Ann", parent_id=top)
    path = _link_path(app, api, smtp_server)
    assert api.client.post(f"{path}/erase", data={"confirm": "yes"}).status_code == 200
    assert _count(app, Comment) == 0
    assert _thread_counts(app, "a1") == (0, 0)


def test_erasing_ends_the_addresss_subscriptions_on_the_site_and_its_consent(
    app: Flask, api: Api, smtp_server: Any
) -> None:
    """After erasure no email about the site reaches the address: subscriptions and the
    stored consent are gone, and a later comment by someone else mails nobody."""
    subscribe(api.client, api.site, ANN)
    confirm(app, ANN)
    api.posted_id("Ann's comment", author_email=ANN, author_name="Ann")
    make_worker(app).run_until_idle()
    path = _link_path(app, api, smtp_server)
    before = len(smtp_server.sink.to(ANN))

    assert api.client.post(f"{path}/erase", data={"confirm": "yes"}).status_code == 200
    assert _count(app, Subscription) == 0
    assert _count(app, NotifyAddress) == 0
    api.posted_id("Someone else", author_email=BOB, author_name="Bob")
    make_worker(app).run_until_idle()
    assert len(smtp_server.sink.to(ANN)) == before


def test_the_answer_is_the_same_for_unknown_addresses_and_they_get_no_mail(
    app: Flask, api: Api, smtp_server: Any
) -> None:
    """Nobody learns from the API who commented: same 202 and message; no row, no mail."""
    api.posted_id("Ann's comment", author_email=ANN, author_name="Ann")
    known, unknown = _ask(api, ANN), _ask(api, "stranger@example.com")
    assert known.status_code == unknown.status_code == 202
    assert known.get_json() == unknown.get_json()
    assert known.headers["Cache-Control"] == "no-store"
    make_worker(app).run_until_idle()
    assert smtp_server.sink.to("stranger@example.com") == []
    assert len(smtp_server.sink.to(ANN)) == 1


def test_an_address_is_matched_whatever_its_letter_case_and_anchors_come_along(
    app: Flask, api: Api, smtp_server: Any
) -> None:
    """Ann posted as Ann@Example.COM; asking as ann@example.com finds the comment."""
    api.posted_id("Mixed case", author_email="Ann@Example.COM", author_name="Ann",
                  anchor={"passage_key": "p-1", "quote": "a quoted line"})
    path = _link_path(app, api, smtp_server, "ann@example.com")
    document = json.loads(api.client.get(f"{path}/comments.json").get_data(as_text=True))
    assert len(document["comments"]) == 1
    # the passage the comment was about comes with it
    assert document["comments"][0]["anchor"] == {
        "passage_key": "p-1", "quote": "a quoted line", "prefix": "", "suffix": ""}


def test_another_sites_comments_are_neither_shown_nor_erased(
    app: Flask, api: Api, smtp_server: Any
) -> None:
    """A link for the news site touches only the news site's comments."""
    with app.app_context():
        sites.create_site(db.session, "blog", "Blog", [SITE_ORIGIN], datetime.now(UTC))
        db.session.commit()
    other = Api(app.test_client(), "blog")
    theirs = other.posted_id("On the blog", author_email=ANN, author_name="Ann")
    api.posted_id("On the news", author_email=ANN, author_name="Ann")
    path = _link_path(app, api, smtp_server)
    document = json.loads(api.client.get(f"{path}/comments.json").get_data(as_text=True))
    assert [c["body_markdown"] for c in document["comments"]] == ["On the news"]
    api.client.post(f"{path}/erase", data={"confirm": "yes"})
    with app.app_context():
        assert db.session.get(Comment, theirs) is not None


def test_asking_again_soon_sends_no_second_link(
    app: Flask, api: Api, smtp_server: Any
) -> None:
    """One link per site and address per resend_seconds: the first one still works."""
    api.posted_id("Ann's comment", author_email=ANN, author_name="Ann")
    for _ in range(3):
        assert _ask(api, ANN).status_code == 202
    make_worker(app).run_until_idle()
    assert len(smtp_server.sink.to(ANN)) == 1
    assert _count(app, OutboxMessage, OutboxMessage.kind == "reader_data") == 1


def test_invalid_addresses_get_a_field_error(api: Api) -> None:
    """A malformed or missing address is a 422 naming the field, in the stable error shape."""
    response = _ask(api, "not an address")
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"email"}
    missing = api.client.post(f"/api/v1/sites/{api.site}/reader-data", json={},
                              headers={"Origin": SITE_ORIGIN})
    assert missing.status_code == 422
    assert "email" in missing.get_json()["error"]["fields"]


def test_a_get_of_the_link_changes_nothing_and_erasing_needs_the_box_ticked(
    app: Flask, api: Api, smtp_server: Any
) -> None:
    """Mail scanners follow links: GET only shows; a POST without confirmation erases nothing."""
    api.posted_id("Ann's comment", author_email=ANN, author_name="Ann")
    path = _link_path(app, api, smtp_server)
    for _ in range(2):
        assert api.client.get(path).status_code == 200
        assert api.client.get(f"{path}/comments.json").status_code == 200
    refused = api.client.post(f"{path}/erase", data={})
    assert refused.status_code == 422
    assert "Tick the box" in refused.get_data(as_text=True)
    assert _count(app, Comment) == 1


@pytest.mark.parametrize("mangle", ["altered", "other_purpose", "garbage", "unknown_row"])
def test_forged_or_altered_links_get_a_400_page(
    app: Flask, api: Api, smtp_server: Any, mangle: str
) -> None:
    """A link not made by this service for this request is refused, never a 500."""
    api.posted_id("Ann's comment", author_email=ANN, author_name="Ann")
    path = _link_path(app, api, smtp_server)
    token = path.removeprefix(tokens.READER_DATA_PATH)
    secret = app.config["SECRET_KEY"]
    forged = {
        "altered": token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        "other_purpose": tokens.confirm_token(secret, tokens.LinkClaim("0" * 64, 1)),
        "garbage": "not-a-token",
        "unknown_row": tokens.reader_data_token(secret, tokens.ReaderDataClaim(999, "0" * 32)),
    }[mangle]
    for method, suffix in (("get", ""), ("get", "/comments.json"), ("post", "/erase")):
        response = getattr(api.client, method)(f"{tokens.READER_DATA_PATH}{forged}{suffix}",
                                                data={"confirm": "yes"} if method == "post"
                                                else None)
        assert response.status_code == 400
        assert "not valid" in response.get_data(as_text=True)
    assert _count(app, Comment) == 1


def test_a_link_past_its_expiry_is_refused_and_says_so(
    app: Flask, api: Api, smtp_server: Any
) -> None:
    """Expired by the row's expiry or by the signature's age: a 400 telling to ask again."""
    api.posted_id("Ann's comment", author_email=ANN, author_name="Ann")
    path = _link_path(app, api, smtp_server)
    with app.app_context():
        row = db.session.execute(select(ReaderDataRequest)).scalar_one()
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        db.session.commit()
    response = api.client.post(f"{path}/erase", data={"confirm": "yes"})
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)

    # A token signed two days ago fails on its signature's age alone.
    with app.app_context():
        row = db.session.execute(select(ReaderDataRequest)).scalar_one()
        claim = {"r": row.id, "n": row.nonce}
    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=tokens.READER_DATA_SALT)
    old_time = datetime.now(UTC) - timedelta(days=2)
    old.default_signer = _signer_at(old, old_time)
    stale = old.dumps(claim)
    response = api.client.get(f"{tokens.READER_DATA_PATH}{stale}")
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert _count(app, Comment) == 1


def _signer_at(serializer: URLSafeTimedSerializer, when: datetime) -> Any:
    """itsdangerous' TimestampSigner, signing as if it were `when`."""
    base = serializer.default_signer

    class Then(base):  # type: ignore[misc, valid-type]
        def get_timestamp(self) -> int:
            return int(when.timestamp())

    return Then


def test_the_worker_sends_nothing_for_a_request_already_used(
    app: Flask, api: Api, smtp_server: Any
) -> None:
    """A link email still queued when its request is used or expires is cancelled, not sent."""
    api.posted_id("Ann's comment", author_email=ANN, author_name="Ann")
    assert _ask(api, ANN).status_code == 202
    with app.app_context():
        row = db.session.execute(select(ReaderDataRequest)).scalar_one()
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        db.session.commit()
    make_worker(app).run_until_idle()
    assert smtp_server.sink.to(ANN) == []
    assert _count(app, OutboxMessage, OutboxMessage.status == "cancelled") == 1


def test_the_form_page_asks_for_the_address_and_mails_the_link(
    app: Flask, api: Api, smtp_server: Any
) -> None:
    """/my-data?site=news: the form, a friendly 422 for a bad address, then the same
    'check your inbox' page for known and unknown addresses."""
    api.posted_id("Ann's comment", author_email=ANN, author_name="Ann")
    form = api.client.get("/my-data", query_string={"site": "news"})
    assert form.status_code == 200
    assert 'name="email"' in form.get_data(as_text=True)
    assert api.client.get("/my-data", query_string={"site": "nope"}).status_code == 404
    assert api.client.get("/my-data").status_code == 404

    bad = api.client.post("/my-data", data={"site": "news", "email": "nope"})
    assert bad.status_code == 422
    assert 'role="alert"' in bad.get_data(as_text=True)
    sent = api.client.post("/my-data", data={"site": "news", "email": ANN})
    other = api.client.post("/my-data", data={"site": "news", "email": "x@example.com"})
    assert sent.status_code == other.status_code == 200
    assert "Check your inbox" in sent.get_data(as_text=True)
    make_worker(app).run_until_idle()
    assert len(smtp_server.sink.to(ANN)) == 1


def test_hostile_text_is_escaped_on_the_page_and_valid_json_in_the_copy(
    app: Flask, api: Api, smtp_server: Any
) -> None:
    """A site name or comment full of markup is shown as text, and the download parses."""
    with app.app_context():
        site = sites.get_site(db.session, "news")
        site.name = '<script>alert(1)</script>"'
        db.session.commit()
    body = '</script><img src=x onerror=alert(1)> "quotes" \u2028 end'
    api.posted_id(body, author_email=ANN, author_name="<b>Ann</b>")
    path = _link_path(app, api, smtp_server)
    html = api.client.get(path).get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;" in html
    document = json.loads(api.client.get(f"{path}/comments.json").get_data(as_text=True))
    assert document["comments"][0]["body_markdown"] == body


def test_turned_off_it_answers_409_and_its_pages_404(make_app: Any, site_factory: Any) -> None:
    """privacy.enabled = false: the API says so in the error shape; the pages do not exist."""
    app = make_app(privacy={"enabled": False})
    api = site_factory(app)
    response = _ask(api, ANN)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "reader_data_disabled"
    assert api.client.get("/my-data", query_string={"site": "news"}).status_code == 404


def test_the_per_address_limit_counts_api_and_form_requests_together(
    make_app: Any, site_factory: Any
) -> None:
    """subscribe_per_email caps requests for one address whichever way they come: 429."""
    app = make_app(limits={"enabled": True, "subscribe_per_email": "2 per hour",
                           "subscribe_per_client": "100 per hour"})
    api = site_factory(app)
    assert _ask(api, ANN).status_code == 202
    assert api.client.post("/my-data", data={"site": "news", "email": ANN}).status_code == 200
    limited = _ask(api, ANN)
    assert limited.status_code == 429
    assert "Retry-After" in limited.headers
    assert _ask(api, BOB).status_code == 202
