"""A site offering only some languages (its setting, published in /config): the widget
picks among them, falling back to the site's own (its first) instead of English."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from playwright.sync_api import Page, expect

from comments_service.extensions import db
from comments_service.services import sites
from tests.widget.conftest import Service, requires_chromium

pytestmark = requires_chromium
_slugs = itertools.count()


def _site_offering(service: Service, *codes: str) -> str:
    slug = f"polyglot-{next(_slugs)}"
    with service.app.app_context():
        site = sites.create_site(db.session, slug, "Polyglot", [service.host.origin],
                                 datetime.now(UTC))
        site.settings = {"languages": list(codes)}
        db.session.commit()
    return slug


def test_a_page_in_a_language_the_site_does_not_offer_gets_the_sites_own(
    page: Page, service: Service
) -> None:
    """A Japanese page on a site offering German and French shows the German widget (the
    site's first language): the ja catalogue asked for alongside the config is replaced
    by de once the config says so."""
    site = _site_offering(service, "de", "fr")
    assert service.site_config(site)["languages"] == ["de", "fr"]
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(service.page(service.new_article(), lang="ja", site=site))
    expect(page.get_by_role("button", name="Kommentar senden")).to_be_visible()
    expect(page.locator(".cs")).to_have_attribute("lang", "de")
    assert "de.json" in [url.rsplit("/", 1)[1] for url in asked if "/embed-i18n/" in url]


def test_an_offered_language_is_used_and_english_may_be_left_out(
    page: Page, service: Service
) -> None:
    """A French page on that site is French; an English one, English not being offered,
    is German; a site offering nothing lets every language through."""
    site = _site_offering(service, "de", "fr")
    page.goto(service.page(service.new_article(), lang="fr", site=site))
    expect(page.locator(".cs")).to_have_attribute("lang", "fr")
    page.goto(service.page(service.new_article(), lang="en", site=site))
    expect(page.locator(".cs")).to_have_attribute("lang", "de")
    page.goto(service.page(service.new_article(), lang="ja", site=_site_offering(service)))
    expect(page.locator(".cs")).to_have_attribute("lang", "ja")
