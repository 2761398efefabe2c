"""Readers who sign in, end to end in chromium with third-party cookies blocked.

The host page is on another site (127.0.0.2) than the service (127.0.0.1), so anything
that leaned on the service's cookies inside the host page would break here. The reader
signs in through the popup against a real OpenID Connect provider on loopback
(oidc-provider-mock), posts and sees the signed-in mark; in a second browser context
signs in again and edits the same comment; signs out. And the site's own accounts: the
page's data-sso token signs the reader in with no popup at all.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey
from playwright.sync_api import Browser, BrowserContext, Page, expect

from comments_service.extensions import db
from comments_service.models import ReaderToken
from comments_service.notify.worker import OutboxWorker
from comments_service.services import sign_in, sites
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, OIDC_ISSUER
from tests.notify.conftest import SmtpServer, free_port
from tests.widget.conftest import (
    SITE,
    HostSite,
    Service,
    _build_service,
    _dispose,
    requires_chromium,
)

pytestmark = requires_chromium

SSO_SECRET = "the-ledger-sso-signing-key-0123456789"
WAYS = (
    {"key": "mock", "kind": "oidc", "label": "Mock ID", "client_id": "ledger",
     "issuer": OIDC_ISSUER},
    {"key": "accounts", "kind": "sso", "label": "Ledger account"},
    {"key": "email", "kind": "email", "label": "email"},
)


@pytest.fixture(scope="module")
def cross_site_host() -> Iterator[HostSite]:
    """Host pages on 127.0.0.2: another site than the service's 127.0.0.1."""
    host = HostSite("127.0.0.2")
    yield host
    host.server.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a free loopback port."""
    server = SmtpServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def signin_service(tmp_path: Path, cross_site_host: HostSite, oidc_provider: str,
                   smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
                   ) -> Iterator[Service]:
    monkeypatch.setenv("COMMENTS_SITE_NEWS_ACCOUNTS_SECRET", SSO_SECRET)
    monkeypatch.setenv("COMMENTS_SITE_NEWS_MOCK_SECRET", "ledger-client-secret")
    mail = {"notifications": {"transport": "smtp", "retry_base_seconds": 0},
            "smtp": {"host": "127.0.0.1", "port": smtp_server.port, "security": "none",
                     "timeout_seconds": 5}}
    service = _build_service(tmp_path / "comments.db", tmp_path / "instance",
                             cross_site_host, mail)
    with service.app.app_context():
        site = sites.get_site(db.session, SITE)
        sign_in.configure(db.session, site, sites.console_actor(site),
                          sign_in.SignInChanges(mode="offered", ways=WAYS), datetime.now(UTC))
        db.session.commit()
    yield service
    _dispose(service)


@pytest.fixture(scope="module")
def blocking_browser(browser: Browser) -> Iterator[Browser]:
    """A chromium of its own that blocks third-party cookies (launched beside the shared one
    by the same Playwright)."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium")
    launched = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        args=[*CHROMIUM_ARGS, "--test-third-party-cookie-phaseout"])
    yield launched
    launched.close()


def _third_party_cookie_seen(context: BrowserContext, service_side: HostSite,
                             host: HostSite) -> str:
    """What a frame of the service's site (127.0.0.1) inside the cross-site host page reads
    of the cookie that site set when visited first-party (which must be in the jar)."""
    service_side.add("<p>set</p>", path="/tpc-set",
                     headers={"Set-Cookie": "probe=1; Path=/; SameSite=None; Secure"})
    service_side.add("<script>parent.postMessage('cookie=' + document.cookie, '*')</script>",
                     path="/tpc-read")
    page = context.new_page()
    page.goto(f"{service_side.origin}/tpc-set")
    assert [c["name"] for c in context.cookies(service_side.origin)] == ["probe"]
    framed = host.add(f"""<script>window.said = null;
addEventListener('message', (e) => {{ window.said = e.data; }});</script>
<iframe src="{service_side.origin}/tpc-read"></iframe>""")
    page.goto(framed)
    page.wait_for_function("window.said !== null")
    said = page.evaluate("window.said")
    page.close()
    return said


def test_the_cookie_probe_sees_third_party_cookies_where_a_profile_allows_them(
    browser: Browser, tmp_path: Path, host_site: HostSite, cross_site_host: HostSite
) -> None:
    """The probe the sign-in test relies on is not blind: in a profile whose settings allow
    third-party cookies, the framed page reads the cookie."""
    profile = tmp_path / "profile"
    (profile / "Default").mkdir(parents=True)
    (profile / "Default" / "Preferences").write_text(json.dumps(
        {"profile": {"cookie_controls_mode": 0, "block_third_party_cookies": False}}))
    context = browser.browser_type.launch_persistent_context(
        str(profile), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        assert _third_party_cookie_seen(context, host_site, cross_site_host) == "cookie=probe=1"
    finally:
        context.close()


def _widget_page(service: Service, host: HostSite, article: str, attrs: str = "") -> str:
    return host.add(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{article}</title></head><body>
<div id="comments" data-site="{SITE}" data-article="{article}" {attrs}></div>
<script src="{service.url}/embed.js" async></script>
</body></html>""")


def _sign_in_through_popup(page: Page) -> None:
    with page.expect_popup() as opened:
        page.get_by_role("button", name="Sign in with Mock ID").click()
    popup = opened.value
    closed: list[bool] = []
    popup.on("close", lambda _page: closed.append(True))
    popup.get_by_role("button", name="alice").click()
    expect(page.locator(".signin")).to_contain_text("Signed in as Alice Liddell")
    # The page that handed the token over closes itself.
    for _ in range(50):
        if closed:
            break
        page.wait_for_timeout(100)
    assert closed == [True]


def test_sign_in_through_the_popup_post_edit_from_a_second_context_and_sign_out(
    blocking_browser: Browser, signin_service: Service, cross_site_host: HostSite,
    host_site: HostSite,
) -> None:
    """Popup sign-in against the loopback provider, a post marked signed in under the
    provider's name, the same comment edited from a second context after signing in
    there, then sign-out: the buttons come back and the token is revoked server-side."""
    article = signin_service.new_article()
    url = _widget_page(signin_service, cross_site_host, article)
    first = blocking_browser.new_context()
    second = blocking_browser.new_context()
    try:
        # Third-party cookies are really blocked here (the test above shows the probe).
        assert _third_party_cookie_seen(first, host_site, cross_site_host) == "cookie="
        page = first.new_page()
        page.goto(url)
        _sign_in_through_popup(page)
        expect(page.locator(".field-author_name")).to_have_count(0)
        page.locator("textarea").first.fill("Signed-in thoughts")
        page.get_by_role("button", name="Post comment").click()
        comment = page.locator(".c", has_text="Signed-in thoughts")
        expect(comment.locator(".name")).to_have_text("Alice Liddell")
        expect(comment.locator(".badge", has_text="signed in")).to_be_visible()
        expect(comment.locator("img.avatar")).to_have_attribute(
            "src", "https://img.example/alice.png")

        other = second.new_page()
        other.goto(url)
        theirs = other.locator(".c", has_text="Signed-in thoughts")
        expect(theirs.locator(".badge", has_text="signed in")).to_be_visible()
        expect(theirs.get_by_role("button", name="Edit")).to_have_count(0)
        _sign_in_through_popup(other)
        theirs = other.locator(f"#{theirs.get_attribute('id')}")
        theirs.get_by_role("button", name="Edit").click()
        theirs.locator(".edit-form textarea").fill("Edited on my other device")
        theirs.get_by_role("button", name="Save").click()
        expect(theirs.locator(".body:not(.preview)")).to_have_text("Edited on my other device")

        # The widget forgets the token at once; the revoking request may still be on
        # its way: wait for its answer before asking the database.
        with other.expect_response(lambda r: r.url.endswith("/sign-out")) as signed_out:
            other.get_by_role("button", name="Sign out").click()
        assert signed_out.value.ok
        expect(other.get_by_role("button", name="Sign in with Mock ID")).to_be_visible()
        expect(theirs.get_by_role("button", name="Edit")).to_have_count(0)
        with signin_service.app.app_context():
            revoked = db.session.query(ReaderToken).filter(
                ReaderToken.revoked_at.is_not(None)).count()
        assert revoked == 1
        page.reload()
        expect(page.locator(".c", has_text="Edited on my other device")).to_be_visible()
        expect(page.locator(".signin")).to_contain_text("Signed in as Alice Liddell")
    finally:
        first.close()
        second.close()


def _sso_token(**claims: Any) -> str:
    payload = {"id": "ledger-42", "name": "Lena Ledger", "exp": int(time.time()) + 300,
               **claims}
    return jwt.encode({"alg": "HS256"}, payload, OctKey.import_key(SSO_SECRET))


def test_the_sites_own_accounts_sign_the_reader_in_from_data_sso(
    blocking_browser: Browser, signin_service: Service, cross_site_host: HostSite,
) -> None:
    """A page carrying the site's signed token in data-sso: the widget signs the reader in
    with no popup, the post is marked, and sign-out ends it."""
    article = signin_service.new_article()
    url = _widget_page(signin_service, cross_site_host, article,
                       attrs=f'data-sso="{_sso_token()}"')
    context = blocking_browser.new_context()
    try:
        page = context.new_page()
        page.goto(url)
        expect(page.locator(".signin")).to_contain_text("Signed in as Lena Ledger")
        page.locator("textarea").first.fill("From my newspaper account")
        page.get_by_role("button", name="Post comment").click()
        comment = page.locator(".c", has_text="From my newspaper account")
        expect(comment.locator(".name")).to_have_text("Lena Ledger")
        expect(comment.locator(".badge", has_text="signed in")).to_be_visible()
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("button", name="Sign in with Mock ID")).to_be_visible()
    finally:
        context.close()


def _mailed_sign_in_path(service: Service, smtp: SmtpServer, address: str,
                         subject: str = "Sign in to comment on The Riverside Ledger") -> str:
    """Run the real outbox worker (SMTP to aiosmtpd); the /auth/... path in the one mail."""
    app = service.app
    with app.app_context():
        OutboxWorker(db.engine, app.extensions["comments_settings"], app.config["SECRET_KEY"],
                     Path(app.instance_path)).run_until_idle()
    [received] = smtp.sink.to(address)
    assert received.message["Subject"] == subject
    found = re.search(r"https?://\S+?(/auth/news/email/\S+)", received.text)
    assert found, received.text
    return found.group(1)


def test_an_emailed_link_signs_the_reader_in_through_the_waiting_popup_once(
    blocking_browser: Browser, signin_service: Service, cross_site_host: HostSite,
    smtp_server: SmtpServer,
) -> None:
    """The popup asks for an address; the worker mails the link through SMTP; the link,
    opened in a tab of its own, signs in on a button press, and the waiting popup hands
    the token to the widget. The same link a second time is refused."""
    article = signin_service.new_article()
    context = blocking_browser.new_context()
    try:
        page = context.new_page()
        page.goto(_widget_page(signin_service, cross_site_host, article))
        with page.expect_popup() as opened:
            page.get_by_role("button", name="Sign in with email").click()
        popup = opened.value
        assert "lang=en" in popup.url
        popup.get_by_label("Email address").fill("mel@example.org")
        popup.get_by_label("Name to show with your comments").fill("Mel Mailer")
        popup.get_by_role("button", name="Send me a sign-in link").click()
        expect(popup.get_by_role("heading", level=1)).to_have_text("Check your email")

        link = signin_service.url + _mailed_sign_in_path(signin_service, smtp_server,
                                                         "mel@example.org")
        tab = context.new_page()
        tab.goto(link)
        tab.get_by_role("button", name="Sign in").click()
        expect(tab.get_by_role("heading", level=1)).to_have_text("Signed in")
        expect(page.locator(".signin")).to_contain_text("Signed in as Mel Mailer")
        page.locator("textarea").first.fill("Signed in by a link")
        page.get_by_role("button", name="Post comment").click()
        comment = page.locator(".c", has_text="Signed in by a link")
        expect(comment.locator(".badge", has_text="signed in")).to_be_visible()

        again = context.new_page()
        again.goto(link)
        again.get_by_role("button", name="Sign in").click()
        expect(again.get_by_role("heading", level=1)).to_have_text("Sign-in did not work")
        expect(again.locator("#message")).to_contain_text("used already")
    finally:
        context.close()


def test_a_spanish_widget_opens_a_spanish_popup_and_the_link_comes_in_spanish(
    blocking_browser: Browser, signin_service: Service, cross_site_host: HostSite,
    smtp_server: SmtpServer,
) -> None:
    """A widget shown in Spanish (data-lang="es") opens the popup with lang=es: its form
    and sent page are Spanish, the mail is Spanish and its link's page too."""
    article = signin_service.new_article()
    context = blocking_browser.new_context(locale="en-US")
    try:
        page = context.new_page()
        page.goto(_widget_page(signin_service, cross_site_host, article, 'data-lang="es"'))
        with page.expect_popup() as opened:
            page.get_by_role("button", name="Iniciar sesión con email").click()
        popup = opened.value
        assert "lang=es" in popup.url
        expect(popup.locator("html")).to_have_attribute("lang", "es")
        popup.get_by_label("Dirección de correo electrónico").fill("mel@example.org")
        popup.get_by_label("Nombre que se mostrará con sus comentarios").fill("Mel")
        popup.get_by_role("button", name="Enviarme un enlace de inicio de sesión").click()
        expect(popup.get_by_role("heading", level=1)).to_have_text("Revise su correo")
        path = _mailed_sign_in_path(signin_service, smtp_server, "mel@example.org",
                                    "Inicie sesión para comentar en The Riverside Ledger")
        assert path.endswith("?lang=es")
        tab = context.new_page()
        tab.goto(signin_service.url + path)
        tab.get_by_role("button", name="Iniciar sesión").click()
        expect(tab.get_by_role("heading", level=1)).to_have_text("Sesión iniciada")
        expect(page.locator(".signin")).to_contain_text("Mel")
    finally:
        context.close()
