"""Signing in through a provider: OpenID Connect by issuer, and GitHub's OAuth 2 apps.

Authlib's OAuth 2 client does the protocol (the authorization URL with state, nonce and
a PKCE S256 challenge, the code exchange with its verifier); joserfc checks the ID
token (signature against the provider's published keys, issuer, audience, expiry and
nonce). Nothing here parses or signs a token by hand.

``start`` returns where to send the reader and the ``Flow`` the caller keeps for the
callback (the popup's own first-party cookie, signed: readers_pages.py); ``finish``
checks the callback against it and returns the provider's ``Profile``. Every failure
of the provider or of its answer is SignInFailed (a 400 page, never a 500).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from comments_service.errors import SignInFailed
from comments_service.services.readers import Profile
from comments_service.services.sign_in import Way

OIDC_SCOPE = "openid profile email"
GITHUB_SCOPE = "read:user user:email"
GITHUB_AUTHORIZE = "https://github.com/login/oauth/authorize"
GITHUB_TOKEN = "https://github.com/login/oauth/access_token"  # noqa: S105 - a URL
GITHUB_API = "https://api.github.com"
# Asymmetric algorithms only: an ID token "signed" with the client secret (HS256) or
# not at all ("none") is refused.
ID_TOKEN_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                       "ES256", "ES384", "ES512", "EdDSA")


@dataclass(frozen=True)
class Flow:
    """What one sign-in popup must remember between its start and the callback."""

    site: str
    way: str
    origin: str
    state: str
    nonce: str
    verifier: str
    lang: str = ""  # the popup's language (?lang=), for the callback's page


@dataclass(frozen=True)
class Client:
    """How to reach a provider: the way, its secret, our callback URL, the timeout."""

    way: Way
    secret: str | None
    redirect_uri: str
    timeout_s: float


def _session(client: Client, scope: str) -> OAuth2Session:
    session = OAuth2Session(
        client.way.client_id, client.secret, scope=scope, redirect_uri=client.redirect_uri,
        code_challenge_method="S256", default_timeout=client.timeout_s,
        token_endpoint_auth_method="client_secret_basic" if client.secret else "none",
    )
    session.headers["Accept"] = "application/json"
    return session


def _get_json(session: requests.Session, url: str, timeout_s: float) -> Any:
    try:
        response = session.get(url, timeout=timeout_s)
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError) as exc:
        raise SignInFailed("The sign-in provider did not answer as expected.") from exc


def discover(client: Client) -> Mapping[str, Any]:
    """The provider's OpenID configuration, checked to name the configured issuer."""
    url = f"{client.way.issuer}/.well-known/openid-configuration"
    with requests.Session() as http:
        metadata = _get_json(http, url, client.timeout_s)
    if not isinstance(metadata, dict) or metadata.get("issuer") != client.way.issuer:
        raise SignInFailed("The provider's configuration names another issuer.")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(metadata.get(key), str):
            raise SignInFailed(f"The provider's configuration lacks {key}.")
    return metadata


def start(client: Client, site: str, origin: str) -> tuple[str, Flow]:
    """(the provider's authorization URL, the flow to keep) for one popup."""
    flow = Flow(site=site, way=client.way.key, origin=origin, state=generate_token(32),
                nonce=generate_token(32), verifier=generate_token(64))
    if client.way.kind == "github":
        endpoint, scope, extra = GITHUB_AUTHORIZE, GITHUB_SCOPE, {}
    else:
        endpoint = discover(client)["authorization_endpoint"]
        scope, extra = OIDC_SCOPE, {"nonce": flow.nonce}
    with _session(client, scope) as oauth:
        url, _state = oauth.create_authorization_url(
            endpoint, state=flow.state, code_verifier=flow.verifier, **extra)
    return url, flow


def _exchange(
    client: Client, scope: str, endpoint: str, flow: Flow, code: str
) -> tuple[OAuth2Session, Mapping[str, Any]]:
    oauth = _session(client, scope)
    try:
        token = oauth.fetch_token(endpoint, code=code, state=flow.state,
                                  code_verifier=flow.verifier)
    except (AuthlibBaseError, requests.RequestException, ValueError) as exc:
        oauth.close()
        raise SignInFailed("The provider refused the sign-in code.") from exc
    return oauth, token


def check_id_token(
    id_token: str, keys: Mapping[str, Any], issuer: str, client_id: str, nonce: str,
    now: Callable[[], int] | None = None,
) -> dict[str, Any]:
    """The ID token's claims once its signature, issuer, audience, expiry and nonce hold.

    Raises SignInFailed naming what did not.
    """
    try:
        key_set = KeySet.import_key_set(dict(keys))  # type: ignore[arg-type]
        token = jwt.decode(id_token, key_set, algorithms=list(ID_TOKEN_ALGORITHMS))
        registry = jwt.JWTClaimsRegistry(
            now=now, leeway=60,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": client_id},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        registry.validate(token.claims)
    except (JoseError, ValueError, TypeError) as exc:
        raise SignInFailed(f"The provider's ID token was refused: {exc}") from exc
    claims = dict(token.claims)
    audience = claims.get("aud")
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != client_id:
        raise SignInFailed("The provider's ID token was issued to another client.")
    return claims


def _oidc_profile(client: Client, flow: Flow, code: str) -> Profile:
    metadata = discover(client)
    oauth, token = _exchange(client, OIDC_SCOPE, metadata["token_endpoint"], flow, code)
    with oauth:
        if not isinstance(token.get("id_token"), str):
            raise SignInFailed("The provider sent no ID token.")
        keys = _get_json(oauth, metadata["jwks_uri"], client.timeout_s)
        claims = check_id_token(token["id_token"], keys, client.way.issuer,
                                client.way.client_id, flow.nonce)
        userinfo = metadata.get("userinfo_endpoint")
        if isinstance(userinfo, str):
            extra = _get_json(oauth, userinfo, client.timeout_s)
            # OpenID Connect Core 5.3.2: userinfo is about the ID token's subject only.
            if isinstance(extra, dict) and extra.get("sub") == claims["sub"]:
                claims = {**extra, **claims}
    email = claims.get("email") if claims.get("email_verified") is True else None
    name = claims.get("name") or claims.get("preferred_username") or claims.get("nickname")
    if not isinstance(name, str) or not name.strip():
        name = str(claims.get("email") or "").split("@")[0] or "Reader"
    picture = claims.get("picture")
    return Profile(provider=client.way.key, subject=str(claims["sub"]), name=name,
                   avatar_url=picture if isinstance(picture, str) else None,
                   email=email if isinstance(email, str) else None)


def _github_profile(client: Client, flow: Flow, code: str) -> Profile:
    oauth, _token = _exchange(client, GITHUB_SCOPE, GITHUB_TOKEN, flow, code)
    with oauth:
        user = _get_json(oauth, f"{GITHUB_API}/user", client.timeout_s)
        emails = _get_json(oauth, f"{GITHUB_API}/user/emails", client.timeout_s)
    if not isinstance(user, dict) or not isinstance(user.get("id"), int):
        raise SignInFailed("GitHub did not say who you are.")
    verified = [e.get("email") for e in emails if isinstance(e, dict)
                and e.get("primary") and e.get("verified")] if isinstance(emails, list) else []
    avatar = user.get("avatar_url")
    return Profile(provider=client.way.key, subject=str(user["id"]),
                   name=str(user.get("name") or user.get("login") or "Reader"),
                   avatar_url=avatar if isinstance(avatar, str) else None,
                   email=verified[0] if verified and isinstance(verified[0], str) else None)


def finish(client: Client, flow: Flow, state: str | None, code: str | None) -> Profile:
    """The reader's profile from the provider's callback. Raises SignInFailed for a
    state that is not this popup's, a missing code, or any refusal by the provider."""
    if not state or not hmac.compare_digest(state, flow.state):
        raise SignInFailed("This sign-in was not started here, or was started again. "
                           "Close this window and try again.")
    if not code:
        raise SignInFailed("The provider did not sign you in.")
    if client.way.kind == "github":
        return _github_profile(client, flow, code)
    return _oidc_profile(client, flow, code)
