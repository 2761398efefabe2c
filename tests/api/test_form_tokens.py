"""api/form_tokens.py: GET a signed form token; sending it back with a comment."""

from __future__ import annotations

from datetime import datetime

from comments_service.api.openapi import build_document
from comments_service.schemas import FormTokenOut
from tests.conftest import SITE_ORIGIN


def token_for(client, site: str = "news"):
    return client.get(f"/api/v1/sites/{site}/form-token")


def test_form_token_is_issued_signed_and_never_cached(client, site) -> None:
    response = token_for(client)
    assert response.status_code == 200
    body = FormTokenOut.model_validate(response.get_json())
    assert body.token.count(".") == 2, "payload.timestamp.signature"
    assert isinstance(body.issued_at, datetime)
    assert response.headers["Cache-Control"] == "no-store"


def test_form_token_of_unknown_site_is_404(client, site) -> None:
    response = token_for(client, "nowhere")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "site_not_found"


def test_form_token_may_be_fetched_from_any_page(client, site) -> None:
    response = client.get("/api/v1/sites/news/form-token",
                          headers={"Origin": "https://elsewhere.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_comment_with_a_token_old_enough_is_accepted(make_app, api) -> None:
    # The default minimum age is seconds; a test cannot wait, so this app wants none.
    app = make_app(spam={"form_token_min_seconds": 0})
    client = app.test_client()
    token = token_for(client).get_json()["token"]
    response = client.post("/api/v1/sites/news/comments",
                           json={"article": "a1", "body": "Hi", "form_token": token})
    assert response.status_code == 201, response.get_json()


def test_comment_sent_right_after_its_token_is_spam(make_app, api) -> None:
    app = make_app(spam={"form_token_min_seconds": 3600, "form_token_max_age_seconds": 7200})
    client = app.test_client()
    token = token_for(client).get_json()["token"]
    response = client.post("/api/v1/sites/news/comments",
                           json={"article": "a1", "body": "Hi", "form_token": token})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "spam_rejected"


def test_required_token_missing_is_spam_and_present_is_fine(make_app, api) -> None:
    app = make_app(spam={"form_token_required": True, "form_token_min_seconds": 0})
    client = app.test_client()
    without = client.post("/api/v1/sites/news/comments", json={"article": "a1", "body": "Hi"})
    assert without.get_json()["error"]["code"] == "spam_rejected"
    token = token_for(client).get_json()["token"]
    with_token = client.post("/api/v1/sites/news/comments",
                             json={"article": "a1", "body": "Hi", "form_token": token})
    assert with_token.status_code == 201


def test_by_default_a_browser_post_needs_a_token_and_a_script_does_not(make_app, api) -> None:
    """The shipped default (config/default.toml): a post carrying a page's Origin without
    a token is spam, as a script on a page posting around the widget would be; the same
    post without an Origin (a script, an import) is taken; with a token, the page's post
    is taken too."""
    from comments_service.config import load_settings

    assert load_settings().spam.form_token_required_for_browsers is True
    app = make_app(spam={"form_token_required_for_browsers": True, "form_token_min_seconds": 0})
    client = app.test_client()
    page = {"Origin": SITE_ORIGIN}
    without = client.post("/api/v1/sites/news/comments", headers=page,
                          json={"article": "a1", "body": "From a page, no token"})
    assert without.status_code == 422
    assert without.get_json()["error"]["code"] == "spam_rejected"
    scripted = client.post("/api/v1/sites/news/comments",
                           json={"article": "a1", "body": "From a script"})
    assert scripted.status_code == 201, scripted.get_json()
    forged = client.post("/api/v1/sites/news/comments", headers=page,
                         json={"article": "a1", "body": "Forged", "form_token": "a.b.c"})
    assert forged.get_json()["error"]["code"] == "spam_rejected"
    token = token_for(client).get_json()["token"]
    with_token = client.post("/api/v1/sites/news/comments", headers=page,
                             json={"article": "a1", "body": "From a page", "form_token": token})
    assert with_token.status_code == 201, with_token.get_json()


def test_openapi_documents_the_form_token_route_and_the_spam_fields(app) -> None:
    document = build_document(app)
    operation = document["paths"]["/sites/{site_slug}/form-token"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/FormTokenOut"
    }
    new_comment = document["components"]["schemas"]["NewComment"]["properties"]
    assert {"hp", "form_token"} <= set(new_comment)
    post = document["paths"]["/sites/{site_slug}/comments"]["post"]
    assert set(post["responses"]) >= {"201", "202", "409", "422", "429"}
