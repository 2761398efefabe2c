"""A site's languages (issue 20): set through the moderation API or the admin Sites page
by one rule, and published in /config for the widget (tests/notify/test_languages.py:
the language of mail to readers without one and of moderators' notices)."""

from __future__ import annotations

from flask import Flask

from tests.admin.test_admin import sign_in
from tests.api.test_comments import assert_error
from tests.api.test_site_edit import BASE, _audit_text, _site
from tests.conftest import Api


def test_the_api_stores_supported_codes_in_order_and_config_publishes_them(
    app: Flask, api: Api, moderator
) -> None:
    """Codes as the service spells them (GET /config), repeats dropped, order kept (the
    first is the site's own); [] offers every language again."""
    response = api.client.patch(f"{BASE}/sites/news", headers=moderator.headers,
                                json={"languages": ["pt-BR", "de", "pt-BR", "zh-Hant"]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["languages"] == ["pt-BR", "de", "zh-Hant"]
    assert api.client.get("/api/v1/sites/news/config").get_json()["languages"] == [
        "pt-BR", "de", "zh-Hant"]
    assert "languages pt-BR de zh-Hant" in _audit_text(api, moderator)
    settings = api.client.patch(f"{BASE}/sites/news/settings", headers=moderator.headers,
                                json={"languages": []})
    assert settings.get_json()["languages"] == []
    assert _site(app).settings["languages"] == []


def test_an_unknown_code_is_refused_by_name_and_nothing_changes(
    app: Flask, api: Api, moderator
) -> None:
    api.client.patch(f"{BASE}/sites/news", headers=moderator.headers, json={"languages": ["fr"]})
    refused = api.client.patch(f"{BASE}/sites/news", headers=moderator.headers,
                               json={"languages": ["de", "klingon"]})
    body = assert_error(refused, 422, "validation_failed")
    assert [name for name in body["error"]["fields"] if name.startswith("languages")]
    assert _site(app).settings["languages"] == ["fr"]


def test_the_admin_sites_page_edits_the_list(app: Flask, api: Api, moderator) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    sign_in(api.client, moderator)
    response = api.client.post("/admin/sites/news", data={
        "site-news-flag_threshold": "3", "site-news-languages": "es, fr de"})
    assert response.status_code == 302
    assert _site(app).settings["languages"] == ["es", "fr", "de"]
    assert 'value="es fr de"' in api.client.get("/admin/sites").get_data(as_text=True)
    refused = api.client.post("/admin/sites/news", follow_redirects=True, data={
        "site-news-flag_threshold": "3", "site-news-languages": "es xx"})
    assert "xx" in refused.get_data(as_text=True)
    assert _site(app).settings["languages"] == ["es", "fr", "de"]

