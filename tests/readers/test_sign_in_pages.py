"""sign_in_pages.py and services/sign_in_flows.py against a real OpenID Connect provider on
loopback (oidc-provider-mock): the popup's start, the provider's consent, the callback that
hands the token to the opener's exact origin only; and every refusal as a 4xx page."""

from __future__ import annotations

import json
import re
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey

from comments_service.errors import SignInFailed
from comments_service.services.sign_in_flows import check_id_token
from tests.conftest import SITE_ORIGIN, ModeratorLogin
from tests.readers.conftest import OIDC_WAY, SSO_WAY, configure

RESULT = re.compile(r'<script type="application/json" id="sign-in-result">(.*?)</script>', re.S)


@pytest.fixture
def oidc_site(client: FlaskClient, moderator: ModeratorLogin, site: str, oidc_provider: str,
              monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COMMENTS_SITE_NEWS_MOCK_SECRET", "client-secret")
    assert configure(client, moderator, mode="offered",
                     ways=[OIDC_WAY, SSO_WAY]).status_code == 200
    return site


def _consent(authorize_url: str, sub: str = "alice") -> str:
    """The reader approves at the provider; returns where it sends the popup back."""
    page = requests.get(authorize_url, timeout=10)
    assert page.status_code == 200
    answer = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def _start(client: FlaskClient, origin: str = SITE_ORIGIN) -> Any:
    return client.get("/auth/news/start", query_string={"way": "mock", "origin": origin})


def _result(page: str) -> dict[str, Any]:
    found = RESULT.search(page)
    assert found is not None, page
    return json.loads(found.group(1))


def test_the_popup_signs_in_through_the_provider_and_hands_the_token_to_the_opener(
    client: FlaskClient, oidc_site: str
) -> None:
    """Start sends the popup to the provider with state, nonce and a PKCE S256 challenge;
    the callback's page carries the token for the opener's exact origin, the token works,
    and the identity has the provider's name, picture and verified email."""
    started = _start(client)
    assert started.status_code == 303
    query = parse_qs(urlsplit(started.headers["Location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert {"state", "nonce", "code_challenge"} <= set(query)
    assert "HttpOnly" in started.headers["Set-Cookie"]
    back = urlsplit(_consent(started.headers["Location"]))
    assert back.path == "/auth/news/callback/mock"
    done = client.get(f"{back.path}?{back.query}")
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "nonce-" in done.headers["Content-Security-Policy"]
    result = _result(done.get_data(as_text=True))
    assert result["origin"] == SITE_ORIGIN
    payload = result["payload"]
    assert payload["reader"]["name"] == "Alice Liddell"
    assert payload["reader"]["provider"] == "mock"
    me = client.get("/api/v1/sites/news/me",
                    headers={"Authorization": f"Bearer {payload['token']}"})
    assert me.get_json()["reader"]["avatar_url"] == "https://img.example/alice.png"


def test_a_callback_replayed_or_from_another_browser_is_refused(
    client: FlaskClient, oidc_site: str, app: Any
) -> None:
    """The same callback a second time (its flow cookie is gone), and the callback in a
    browser that did not start it (no cookie): 400 pages without a token."""
    started = _start(client)
    back = urlsplit(_consent(started.headers["Location"]))
    callback = f"{back.path}?{back.query}"
    other_browser = app.test_client()
    stranger = other_browser.get(callback)
    assert stranger.status_code == 400
    assert "sign-in-result" not in stranger.get_data(as_text=True)
    assert client.get(callback).status_code == 200
    replayed = client.get(callback)
    assert replayed.status_code == 400
    assert "sign-in-result" not in replayed.get_data(as_text=True)


def test_a_forged_state_is_refused(client: FlaskClient, oidc_site: str) -> None:
    """A callback whose state is not the popup's own (login CSRF): 400, no token."""
    started = _start(client)
    back = urlsplit(_consent(started.headers["Location"]))
    query = parse_qs(back.query)
    forged = client.get(back.path, query_string={"code": query["code"][0], "state": "x" * 43})
    assert forged.status_code == 400
    assert "sign-in-result" not in forged.get_data(as_text=True)


def test_an_opener_origin_the_site_does_not_allow_gets_an_error_page(
    client: FlaskClient, oidc_site: str
) -> None:
    """start with an origin outside the site's allowed origins: 403 page, no redirect to
    the provider, no cookie; an unknown way: 404 page."""
    refused = _start(client, origin="https://evil.example")
    assert refused.status_code == 403
    assert "allowed origins" in refused.get_data(as_text=True)
    assert "Set-Cookie" not in refused.headers
    unknown = client.get("/auth/news/start",
                         query_string={"way": "nope", "origin": SITE_ORIGIN})
    assert unknown.status_code == 404


# ---- the ID token's checks, on tokens made here ----------------------------------------

ISSUER = "https://idp.example"
CLIENT = "comments-news"


def _id_token(key: Any, alg: str = "RS256", **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": CLIENT, "sub": "alice", "nonce": "n-1",
               "iat": now, "exp": now + 300, **claims}
    return jwt.encode({"alg": alg, "kid": "k1"}, payload, key, algorithms=[alg])


@pytest.fixture(scope="module")
def provider_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "k1"})


def _keys(key: RSAKey) -> dict[str, Any]:
    return KeySet([key]).as_dict(private=False)


def test_a_good_id_token_passes(provider_key: RSAKey) -> None:
    """The reference case the refusals below differ from by one thing each."""
    claims = check_id_token(_id_token(provider_key), _keys(provider_key), ISSUER, CLIENT, "n-1")
    assert claims["sub"] == "alice"


@pytest.mark.parametrize(("case", "claims"), [
    ("wrong audience", {"aud": "another-client"}),
    ("expired", {"exp": int(time.time()) - 3600}),
    ("replayed from another sign-in (nonce)", {"nonce": "n-2"}),
    ("another issuer", {"iss": "https://evil.example"}),
    ("blank subject", {"sub": ""}),
])
def test_id_tokens_that_differ_in_one_claim_are_refused(
    provider_key: RSAKey, case: str, claims: dict[str, Any]
) -> None:
    """Each is SignInFailed (a 400 page), never a sign-in."""
    token = _id_token(provider_key, **claims)
    with pytest.raises(SignInFailed):
        check_id_token(token, _keys(provider_key), ISSUER, CLIENT, "n-1")


def test_id_tokens_signed_by_another_key_or_with_the_client_secret_are_refused(
    provider_key: RSAKey,
) -> None:
    """A token signed by a key the provider does not publish, and one MACed with a shared
    secret (HS256: anyone holding the client secret could forge it)."""
    stranger = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    with pytest.raises(SignInFailed):
        check_id_token(_id_token(stranger), _keys(provider_key), ISSUER, CLIENT, "n-1")
    shared = OctKey.import_key("client-secret-client-secret-0123")
    with pytest.raises(SignInFailed):
        check_id_token(_id_token(shared, alg="HS256"), {"keys": [shared.as_dict()]},
                       ISSUER, CLIENT, "n-1")


def test_the_github_preset_starts_at_github_with_pkce_and_needs_its_secret(
    client: FlaskClient, moderator: ModeratorLogin, site: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A github way without its client secret is a 400 page (no redirect); with it, the
    popup goes to GitHub's authorize URL with the client id, our callback, the scopes,
    state and an S256 challenge. (The code exchange needs GitHub itself: not run here.)"""
    github = {"key": "github", "kind": "github", "label": "GitHub", "client_id": "Iv1.abc"}
    assert configure(client, moderator, mode="offered", ways=[github]).status_code == 200
    monkeypatch.delenv("COMMENTS_SITE_NEWS_GITHUB_SECRET", raising=False)
    query = {"way": "github", "origin": SITE_ORIGIN}
    assert client.get("/auth/news/start", query_string=query).status_code == 400
    monkeypatch.setenv("COMMENTS_SITE_NEWS_GITHUB_SECRET", "gh-secret")
    started = client.get("/auth/news/start", query_string=query)
    assert started.status_code == 303
    target = urlsplit(started.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == \
        "https://github.com/login/oauth/authorize"
    sent = parse_qs(target.query)
    assert sent["client_id"] == ["Iv1.abc"]
    assert sent["redirect_uri"] == ["http://localhost/auth/news/callback/github"]
    assert sent["scope"] == ["read:user user:email"]
    assert sent["code_challenge_method"] == ["S256"]
    assert "gh-secret" not in started.headers["Location"]


def test_the_callback_page_speaks_the_language_the_popup_was_opened_in(
    client: FlaskClient, oidc_site: str
) -> None:
    """The widget opens the popup with ?lang=es; the provider's callback cannot carry it
    (its redirect URI is fixed), so the flow cookie keeps it: the signed-in page is
    Spanish for an English browser; a start without ?lang= follows the browser."""
    started = client.get("/auth/news/start", headers={"Accept-Language": "en"},
                         query_string={"way": "mock", "origin": SITE_ORIGIN, "lang": "es"})
    assert started.status_code == 303
    back = urlsplit(_consent(started.headers["Location"]))
    done = client.get(f"{back.path}?{back.query}", headers={"Accept-Language": "en"})
    page = done.get_data(as_text=True)
    assert done.status_code == 200, page
    assert '<html lang="es" dir="ltr">' in page
    assert "Ha iniciado sesión como Alice Liddell. Puede cerrar esta ventana." in page

    again = client.get("/auth/news/start", headers={"Accept-Language": "de"},
                       query_string={"way": "mock", "origin": SITE_ORIGIN})
    back = urlsplit(_consent(again.headers["Location"]))
    german = client.get(f"{back.path}?{back.query}", headers={"Accept-Language": "de"})
    assert "Sie sind als Alice Liddell angemeldet." in german.get_data(as_text=True)
