"""A site's own accounts (SSO): the site's backend vouches for its logged-in reader.

The site signs ``{"id", "name", "email"?, "avatar"?, "exp"}`` as an HS256 JWT with its
per-site secret (``COMMENTS_SITE_<SLUG>_<WAY>_SECRET``, or stored write-only by a
moderator); the widget hands it over and gets a service token back, with no provider
round trip. joserfc checks the signature, the algorithm (HS256 only) and the expiry; a
token whose expiry is further away than [readers] flow_seconds is refused, so a leaked
one is short-lived. Its email counts as verified: the site vouches for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from comments_service.errors import SsoTokenInvalid
from comments_service.services.readers import Profile

ALGORITHM = "HS256"


def _claims(token: str, secret: str, now: Callable[[], int], max_life_s: int) -> dict[str, Any]:
    try:
        decoded = jwt.decode(token, OctKey.import_key(secret), algorithms=[ALGORITHM])
        jwt.JWTClaimsRegistry(
            now=now, leeway=30, exp={"essential": True}, id={"essential": True},
            name={"essential": True},
        ).validate(decoded.claims)
    except (JoseError, ValueError, TypeError) as exc:
        raise SsoTokenInvalid(f"The site's sign-in token was refused: {exc}") from exc
    claims = dict(decoded.claims)
    exp = claims["exp"]
    if not isinstance(exp, int) or exp - now() > max_life_s:
        raise SsoTokenInvalid(f"The site's sign-in token must expire within {max_life_s} "
                              "seconds.")
    return claims


def profile_from_token(
    token: str, secret: str, way_key: str, now: Callable[[], int], max_life_s: int
) -> Profile:
    """The reader a site's SSO token names. Raises SsoTokenInvalid for a token that is
    altered, signed with another key or algorithm, expired, too long-lived, or lacks
    id or name."""
    claims = _claims(token, secret, now, max_life_s)
    ident, name = claims["id"], claims["name"]
    if not isinstance(ident, str | int) or not isinstance(name, str) or not name.strip():
        raise SsoTokenInvalid("The site's sign-in token needs a string id and a name.")
    email, avatar = claims.get("email"), claims.get("avatar")
    return Profile(provider=way_key, subject=str(ident), name=name,
                   avatar_url=avatar if isinstance(avatar, str) else None,
                   email=email if isinstance(email, str) else None)
