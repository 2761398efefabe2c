"""Readers who sign in: a site that offers ways in, signed-in readers by the site's SSO."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import OctKey

from tests.conftest import OIDC_ISSUER, ModeratorLogin

SSO_SECRET = "sso-signing-key-of-the-news-site-0123456789"
SSO_ENV = "COMMENTS_SITE_NEWS_ACCOUNTS_SECRET"


def sso_token(secret: str = SSO_SECRET, *, life_s: int = 120, alg: str = "HS256",
              **claims: Any) -> str:
    """A site's SSO token as its backend would sign it."""
    payload = {"id": "u-1", "name": "Ann Reader", "exp": int(time.time()) + life_s, **claims}
    return jwt.encode({"alg": alg}, payload, OctKey.import_key(secret), algorithms=[alg])


def configure(client: FlaskClient, moderator: ModeratorLogin, site: str = "news",
              **changes: Any) -> Any:
    return client.patch(f"/api/v1/moderation/sites/{site}/sign-in", json=changes,
                        headers=moderator.headers)


SSO_WAY = {"key": "accounts", "kind": "sso", "label": "News account"}
OIDC_WAY = {"key": "mock", "kind": "oidc", "label": "Mock ID", "client_id": "comments-news",
            "issuer": OIDC_ISSUER}


@pytest.fixture
def sso_site(client: FlaskClient, moderator: ModeratorLogin, site: str,
             monkeypatch: pytest.MonkeyPatch) -> str:
    """The site "news" offering sign-in with its own accounts (secret in the environment)."""
    monkeypatch.setenv(SSO_ENV, SSO_SECRET)
    response = configure(client, moderator, mode="offered", ways=[SSO_WAY, OIDC_WAY])
    assert response.status_code == 200, response.get_json()
    return site


@dataclass(frozen=True)
class SignedIn:
    token: str
    reader: dict[str, Any]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def sso_sign_in(client: FlaskClient, site: str = "news", **claims: Any) -> SignedIn:
    response = client.post(f"/api/v1/sites/{site}/sign-in/sso/accounts",
                           json={"token": sso_token(**claims)})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return SignedIn(body["token"], body["reader"])
