"""Editing a site through the moderation API, the admin Sites page and the CLI: one rule."""

from __future__ import annotations

from flask import Flask

from comments_service.extensions import db
from comments_service.models import Site
from comments_service.schemas.moderation import SiteOut
from tests.admin.test_admin import sign_in
from tests.api.test_comments import assert_error
from tests.conftest import Api, ModeratorLogin, add_moderator, create_other_site

BASE = "/api/v1/moderation"


def _site(app: Flask, slug: str = "news") -> Site:
    with app.app_context():
        site = db.session.query(Site).filter_by(slug=slug).one()
        db.session.expunge(site)
        return site


def _audit_text(api: Api, moderator: ModeratorLogin) -> str:
    entries = api.client.get(f"{BASE}/audit", headers=moderator.headers).get_json()["entries"]
    return " | ".join(e["note"] or "" for e in entries if e["action"] == "site_settings")


def test_api_renames_a_site_and_replaces_its_origins(app: Flask, api: Api, moderator) -> None:
    response = api.client.patch(f"{BASE}/sites/news", headers=moderator.headers, json={
        "name": "The News", "origins": ["https://news.example", "https://M.News.Example/"]})
    assert response.status_code == 200, response.get_json()
    body = SiteOut.model_validate(response.get_json()).model_dump()
    assert body["name"] == "The News"
    assert body["origins"] == ["https://news.example", "https://m.news.example"]
    assert _site(app).allowed_origins == ["https://news.example", "https://m.news.example"]
    assert api.client.get(f"{BASE}/sites/news", headers=moderator.headers).get_json() == \
        response.get_json()
    assert "name 'The News'; origins https://news.example https://m.news.example" in \
        _audit_text(api, moderator)


def test_api_refuses_an_origin_with_a_path_naming_the_field(app: Flask, api: Api,
                                                             moderator) -> None:
    response = api.client.patch(f"{BASE}/sites/news", headers=moderator.headers,
                                json={"origins": ["https://news.example/blog/"]})
    body = assert_error(response, 422, "validation_failed")
    assert "origins" in str(body["error"]["fields"])
    assert _site(app).allowed_origins == ["https://news.example"]


def test_api_cannot_edit_a_site_the_moderator_does_not_moderate(app: Flask, api: Api,
                                                                 moderator) -> None:
    create_other_site(app)
    response = api.client.patch(f"{BASE}/sites/sports", headers=moderator.headers,
                                json={"name": "Mine"})
    assert_error(response, 403, "not_your_site")
    assert _site(app, "sports").name == "Sports"


def test_api_and_admin_store_down_votes_by_the_same_rule(app: Flask, api: Api,
                                                          moderator) -> None:
    # The service's default takes no down votes: choosing the same stores nothing, by
    # either path, so the site keeps following the default.
    assert app.extensions["comments_settings"].votes.downvotes is False
    api.client.patch(f"{BASE}/sites/news/settings", headers=moderator.headers,
                     json={"downvotes": False})
    assert "downvotes" not in (_site(app).settings or {})
    app.config["WTF_CSRF_ENABLED"] = False
    sign_in(api.client, moderator)
    api.client.post("/admin/sites/news", data={"site-news-flag_threshold": "3"})
    assert "downvotes" not in (_site(app).settings or {})
    api.client.patch(f"{BASE}/sites/news", headers=moderator.headers, json={"downvotes": True})
    assert _site(app).settings["downvotes"] is True


def test_admin_sites_page_edits_name_and_origins(app: Flask, api: Api, moderator) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    sign_in(api.client, moderator)
    page = api.client.get("/admin/sites").get_data(as_text=True)
    assert 'name="site-news-origins"' in page
    assert "https://news.example" in page
    response = api.client.post("/admin/sites/news", data={
        "site-news-name": "Daily News", "site-news-flag_threshold": "3",
        "site-news-origins": "https://news.example\r\nhttps://www.news.example\r\n"})
    assert response.status_code == 302
    site = _site(app)
    assert site.name == "Daily News"
    assert site.allowed_origins == ["https://news.example", "https://www.news.example"]
    assert "Daily News" in api.client.get("/admin/sites").get_data(as_text=True)
    assert "origins https://news.example https://www.news.example" in \
        api.client.get("/admin/audit").get_data(as_text=True)


def test_admin_refuses_a_bad_origin_with_a_message(app: Flask, api: Api, moderator) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    sign_in(api.client, moderator)
    response = api.client.post("/admin/sites/news", follow_redirects=True, data={
        "site-news-flag_threshold": "3", "site-news-origins": "https://news.example/blog"})
    assert "scheme://host[:port]" in response.get_data(as_text=True)
    assert _site(app).allowed_origins == ["https://news.example"]


def test_another_moderators_token_sees_the_edit(app: Flask, api: Api, moderator) -> None:
    other = add_moderator(app, "second@news.example", "news")
    api.client.patch(f"{BASE}/sites/news", headers=moderator.headers, json={"name": "N2"})
    assert api.client.get(f"{BASE}/sites/news", headers=other.headers).get_json()["name"] == "N2"
