"""Signed-in readers over the API: posting under the identity, the signed-in mark, names
anonymous posters cannot take, required sign-in, own edits from any device, sign-out,
bans, and the site's sign-in settings (secrets write-only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient

from comments_service.extensions import db
from comments_service.models import Comment
from tests.conftest import Api, ModeratorLogin, create_other_site
from tests.readers.conftest import (
    SSO_ENV,
    SSO_SECRET,
    SSO_WAY,
    configure,
    sso_sign_in,
    sso_token,
)


def test_a_site_offers_no_sign_in_until_it_chooses(client: FlaskClient, site: str) -> None:
    """Anonymous is the default: /config says so, and SSO sign-in is not found."""
    config = client.get(f"/api/v1/sites/{site}/config").get_json()
    assert config["sign_in"] == {"mode": "anonymous", "ways": [], "edit_window_seconds": 86400}
    response = client.post(f"/api/v1/sites/{site}/sign-in/sso/accounts",
                           json={"token": sso_token()})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "sign_in_way_not_found"


def test_settings_are_audited_and_a_secret_is_never_sent_back(
    client: FlaskClient, site: str, moderator: ModeratorLogin, monkeypatch
) -> None:
    """A stored secret shows only as set; the environment's wins and is named; the widget's
    /config lists the ways without client ids or secrets; the audit log names no secret."""
    monkeypatch.delenv(SSO_ENV, raising=False)
    response = configure(client, moderator, mode="offered", ways=[SSO_WAY],
                         secrets={"accounts": "stored-secret-value"})
    assert response.status_code == 200, response.get_json()
    assert "stored-secret-value" not in response.get_data(as_text=True)
    way = response.get_json()["ways"][0]
    assert (way["secret_set"], way["secret_source"], way["secret_env"]) == (
        True, "stored", SSO_ENV)
    monkeypatch.setenv(SSO_ENV, "from-the-environment")
    shown = client.get(f"/api/v1/moderation/sites/{site}/sign-in", headers=moderator.headers)
    assert shown.get_json()["ways"][0]["secret_source"] == "environment"
    assert "from-the-environment" not in shown.get_data(as_text=True)
    config = client.get(f"/api/v1/sites/{site}/config").get_json()
    assert config["sign_in"] == {"mode": "offered", "edit_window_seconds": 86400, "ways": [
        {"key": "accounts", "kind": "sso", "label": "News account"}]}
    audit = client.get("/api/v1/moderation/audit", headers=moderator.headers).get_json()
    entry = audit["entries"][0]
    assert entry["action"] == "sign_in_settings"
    assert "stored-secret-value" not in entry["note"]
    assert "accounts" in entry["note"]


def test_bad_settings_are_refused_naming_each_field(
    client: FlaskClient, site: str, moderator: ModeratorLogin
) -> None:
    """A bad key, an oidc way without client id or with a plain-http issuer elsewhere than
    loopback, and a secret for no way: 422 naming each."""
    response = configure(client, moderator, mode="offered", ways=[
        {"key": "Bad Key", "kind": "sso"},
        {"key": "corp", "kind": "oidc", "issuer": "http://idp.example"},
    ], secrets={"nope": "x"})
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"ways.0.key", "ways.1.client_id", "ways.1.issuer", "secrets.nope"}


def test_a_signed_in_post_takes_the_identity_and_is_marked(
    client: FlaskClient, sso_site: str
) -> None:
    """The name typed is ignored for the identity's; the comment carries signed_in, the
    identity's id and its avatar, in the post's answer and in the thread page."""
    reader = sso_sign_in(client, name="Ann Reader", avatar="https://img.example/ann.png")
    response = client.post(f"/api/v1/sites/{sso_site}/comments", headers=reader.headers,
                           json={"article": "a1", "body": "Hi", "author_name": "Someone"})
    assert response.status_code == 201, response.get_json()
    author = response.get_json()["comment"]["author"]
    assert author["name"] == "Ann Reader"
    assert author["signed_in"] is True
    assert author["identity"] == reader.reader["id"]
    assert author["picture"] == "https://img.example/ann.png"
    page = Api(client, sso_site).thread().get_json()
    assert page["comments"][0]["author"]["signed_in"] is True
    anonymous = Api(client, sso_site).post(author_name="Bob").get_json()["comment"]["author"]
    assert (anonymous["signed_in"], anonymous["identity"], anonymous["picture"]) == (
        False, None, None)


def test_an_anonymous_poster_cannot_take_a_signed_in_readers_name(
    client: FlaskClient, sso_site: str
) -> None:
    """Any case of a name a signed-in reader holds is refused for anonymous posters (422
    naming author_name); the reader signed in posts under it."""
    sso_sign_in(client, name="Ann Reader")
    response = Api(client, sso_site).post(author_name="ann READER")
    assert response.status_code == 422
    assert "author_name" in response.get_json()["error"]["fields"]


def test_required_sign_in_refuses_anonymous_posts(
    client: FlaskClient, sso_site: str, moderator: ModeratorLogin
) -> None:
    """mode required: an anonymous post is 401 sign_in_required; a signed-in one passes."""
    configure(client, moderator, mode="required")
    response = Api(client, sso_site).post(author_name="Bob")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "sign_in_required"
    reader = sso_sign_in(client)
    posted = client.post(f"/api/v1/sites/{sso_site}/comments", headers=reader.headers,
                         json={"article": "a1", "body": "Hi"})
    assert posted.status_code == 201


def test_a_reader_edits_and_deletes_their_own_comment_from_another_device(
    client: FlaskClient, sso_site: str
) -> None:
    """Two sign-ins of one identity (two devices): the second edits the first's comment
    without its edit token; another reader's token gets 403."""
    first = sso_sign_in(client)
    second = sso_sign_in(client)
    other = sso_sign_in(client, id="u-2", name="Other")
    posted = client.post(f"/api/v1/sites/{sso_site}/comments", headers=first.headers,
                         json={"article": "a1", "body": "First"}).get_json()
    url = f"/api/v1/sites/{sso_site}/comments/{posted['comment']['id']}"
    refused = client.patch(url, headers=other.headers, json={"body": "Hijacked"})
    assert refused.status_code == 403
    edited = client.patch(url, headers=second.headers, json={"body": "Edited elsewhere"})
    assert edited.status_code == 200, edited.get_json()
    assert "Edited elsewhere" in edited.get_json()["comment"]["body_html"]
    assert client.delete(url, headers=other.headers).status_code == 403
    assert client.delete(url, headers=second.headers).status_code == 200


def test_the_signed_in_edit_window_is_the_sites(
    app: Flask, client: FlaskClient, sso_site: str, moderator: ModeratorLogin
) -> None:
    """Past the site's edit_window_seconds a signed-in reader's edit is 409."""
    configure(client, moderator, edit_window_seconds=60)
    reader = sso_sign_in(client)
    comment_id = client.post(f"/api/v1/sites/{sso_site}/comments", headers=reader.headers,
                             json={"article": "a1", "body": "Hi"}).get_json()["comment"]["id"]
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        comment.created_at = datetime.now(UTC) - timedelta(seconds=61)
        db.session.commit()
    response = client.patch(f"/api/v1/sites/{sso_site}/comments/{comment_id}",
                            headers=reader.headers, json={"body": "Late"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "edit_window_closed"


def test_sign_out_revokes_the_token(client: FlaskClient, sso_site: str) -> None:
    """After sign-out, /me, posting and signing out again with that token are 401 (a
    replayed token); another device's token still works."""
    reader = sso_sign_in(client)
    elsewhere = sso_sign_in(client)
    me = client.get(f"/api/v1/sites/{sso_site}/me", headers=reader.headers)
    assert me.get_json()["reader"]["name"] == "Ann Reader"
    out = client.post(f"/api/v1/sites/{sso_site}/sign-out", headers=reader.headers)
    assert out.status_code == 200
    for response in (
        client.get(f"/api/v1/sites/{sso_site}/me", headers=reader.headers),
        client.post(f"/api/v1/sites/{sso_site}/sign-out", headers=reader.headers),
        client.post(f"/api/v1/sites/{sso_site}/comments", headers=reader.headers,
                    json={"article": "a1", "body": "Hi"}),
    ):
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "invalid_reader_token"
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="readers"'
    assert client.get(f"/api/v1/sites/{sso_site}/me", headers=elsewhere.headers).status_code \
        == 200


def test_a_token_is_refused_when_forged_expired_or_for_another_site(
    app: Flask, client: FlaskClient, sso_site: str
) -> None:
    """An altered token, an expired one and one issued on another site (wrong audience)
    are each 401 in the error shape."""
    reader = sso_sign_in(client)
    forged = {"Authorization": f"Bearer {reader.token[:-2]}xx"}
    assert client.get(f"/api/v1/sites/{sso_site}/me", headers=forged).status_code == 401
    other = create_other_site(app)
    wrong_site = client.get(f"/api/v1/sites/{other}/me", headers=reader.headers)
    assert wrong_site.status_code == 401
    assert "another site" in wrong_site.get_json()["error"]["message"]
    with app.app_context():
        db.session.execute(db.text("UPDATE reader_tokens SET expires_at = :past"),
                           {"past": datetime.now(UTC) - timedelta(seconds=1)})
        db.session.commit()
    expired = client.get(f"/api/v1/sites/{sso_site}/me", headers=reader.headers)
    assert expired.status_code == 401
    assert expired.get_json()["error"]["code"] == "invalid_reader_token"


def test_sso_tokens_that_are_forged_expired_or_long_lived_are_refused(
    client: FlaskClient, sso_site: str
) -> None:
    """Signed with another key, expired, living longer than the flow, HS512 instead of
    HS256, or lacking a name: 401 invalid_sso_token each, and no token issued."""
    url = f"/api/v1/sites/{sso_site}/sign-in/sso/accounts"
    for token in (
        sso_token("another-key-entirely-0123456789abcdef"),
        sso_token(life_s=-120),
        sso_token(life_s=7200),
        sso_token(alg="HS512"),
        sso_token(name=""),
        "not.a.jwt",
    ):
        response = client.post(url, json={"token": token})
        assert response.status_code == 401, (token, response.get_json())
        assert response.get_json()["error"]["code"] == "invalid_sso_token"
        assert "token" not in response.get_json()
    assert SSO_SECRET not in client.post(url, json={"token": "x"}).get_data(as_text=True)


def test_a_banned_identity_loses_its_tokens_and_cannot_sign_in(
    client: FlaskClient, sso_site: str, moderator: ModeratorLogin
) -> None:
    """Banning revokes every token at once, signing in again is 403 banned, and the audit
    log names the identity and its provider; lifting the ban lets them back."""
    reader = sso_sign_in(client)
    url = f"/api/v1/moderation/sites/{sso_site}/identities/{reader.reader['id']}/ban"
    banned = client.post(url, json={"note": "trolling"}, headers=moderator.headers)
    assert banned.status_code == 200, banned.get_json()
    assert banned.get_json()["is_banned"] is True
    assert client.get(f"/api/v1/sites/{sso_site}/me", headers=reader.headers).status_code \
        == 401
    again = client.post(f"/api/v1/sites/{sso_site}/sign-in/sso/accounts",
                        json={"token": sso_token()})
    assert again.status_code == 403
    assert again.get_json()["error"]["code"] == "banned"
    audit = client.get("/api/v1/moderation/audit", headers=moderator.headers).get_json()
    entry = audit["entries"][0]
    assert entry["action"] == "ban_identity"
    assert "accounts" in entry["note"]
    assert "Ann Reader" in entry["note"]
    assert client.delete(url, headers=moderator.headers).status_code == 200
    sso_sign_in(client)


def test_moderators_see_the_identity_and_provider_in_the_api_and_the_admin(
    app: Flask, client: FlaskClient, sso_site: str, moderator: ModeratorLogin
) -> None:
    """The moderation API's comment and the admin's comment page name the signed-in
    author's identity and the way in; an anonymous comment names none."""
    from tests.admin.test_admin import sign_in as admin_sign_in

    reader = sso_sign_in(client)
    signed = client.post(f"/api/v1/sites/{sso_site}/comments", headers=reader.headers,
                         json={"article": "a1", "body": "Hi"}).get_json()["comment"]["id"]
    anonymous = Api(client, sso_site).posted_id(author_name="Bob")
    author = client.get(f"/api/v1/moderation/comments/{signed}",
                        headers=moderator.headers).get_json()["author"]
    assert (author["identity"], author["provider"]) == (reader.reader["id"], "accounts")
    author = client.get(f"/api/v1/moderation/comments/{anonymous}",
                        headers=moderator.headers).get_json()["author"]
    assert (author["identity"], author["provider"]) == (None, None)
    app.config["WTF_CSRF_ENABLED"] = False
    admin = app.test_client()
    assert admin_sign_in(admin, moderator).status_code == 302
    page = admin.get(f"/admin/comments/{signed}").get_data(as_text=True)
    assert f"signed in with accounts (identity {reader.reader['id']})" in page


def test_the_admin_configures_the_ways_in_and_never_shows_a_secret(
    app: Flask, client: FlaskClient, site: str, moderator: ModeratorLogin, monkeypatch
) -> None:
    """The sites page's sign-in form sets the mode, the ways (JSON) and a write-only secret:
    the moderation API then shows them, the page says the secret is set but never shows
    it; bad JSON is refused with a message and changes nothing."""
    from tests.admin.test_admin import sign_in as admin_sign_in

    monkeypatch.delenv(SSO_ENV, raising=False)
    app.config["WTF_CSRF_ENABLED"] = False
    admin = app.test_client()
    assert admin_sign_in(admin, moderator).status_code == 302
    form = {"sign-in-news-mode": "required",
            "sign-in-news-ways": '[{"key": "accounts", "kind": "sso", "label": "Members"}]',
            "sign-in-news-secrets": "accounts=very-secret-signing-key"}
    assert admin.post("/admin/sites/news/sign-in", data=form).status_code == 302
    shown = client.get(f"/api/v1/moderation/sites/{site}/sign-in",
                       headers=moderator.headers).get_json()
    assert shown["mode"] == "required"
    assert [(w["key"], w["label"], w["secret_source"]) for w in shown["ways"]] == [
        ("accounts", "Members", "stored")]
    page = admin.get("/admin/sites").get_data(as_text=True)
    assert "accounts (sso): secret set here" in page
    assert "very-secret-signing-key" not in page
    bad = dict(form, **{"sign-in-news-ways": "[not json", "sign-in-news-mode": "offered"})
    answer = admin.post("/admin/sites/news/sign-in", data=bad, follow_redirects=True)
    assert "Not JSON" in answer.get_data(as_text=True)
    assert client.get(f"/api/v1/sites/{site}/config").get_json()["sign_in"]["mode"] \
        == "required"


def test_the_admins_sign_in_section_speaks_the_moderators_language(
    app: Flask, site: str, moderator: ModeratorLogin, monkeypatch
) -> None:
    """For a Spanish browser the sites page's sign-in section (heading, labels, mode
    choices, where each secret comes from, the button), its saved flash and its field
    messages are Spanish."""
    from tests.admin.test_admin import sign_in as admin_sign_in

    monkeypatch.delenv(SSO_ENV, raising=False)
    app.config["WTF_CSRF_ENABLED"] = False
    admin = app.test_client()
    admin.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es-ES,es;q=0.9"
    assert admin_sign_in(admin, moderator).status_code == 302
    form = {"sign-in-news-mode": "offered",
            "sign-in-news-ways": '[{"key": "accounts", "kind": "sso", "label": "Members"}]',
            "sign-in-news-secrets": "accounts=very-secret-signing-key"}
    saved = admin.post("/admin/sites/news/sign-in", data=form, follow_redirects=True)
    page = saved.get_data(as_text=True)
    assert "Ajustes de inicio de sesión de news guardados." in page
    for spanish in ("Lectores que inician sesión", "deben iniciar sesión para publicar",
                    "accounts (sso): secreto definido aquí", "Guardar ajustes de inicio de sesión",
                    "Formas de entrar, en JSON:"):
        assert spanish in page, spanish
    bad = dict(form, **{"sign-in-news-ways": "[not json"})
    answer = admin.post("/admin/sites/news/sign-in", data=bad, follow_redirects=True)
    assert "No es JSON:" in answer.get_data(as_text=True)
