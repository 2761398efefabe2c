"""Signed-in readers: who am I, sign out, and sign in with the site's own accounts (SSO).

The popup ways in (OpenID Connect, GitHub, the email link) live in sign_in_pages.py;
they end with the same token this module's SSO exchange returns.
"""

from __future__ import annotations

import os
import time

from flask import Response, jsonify

from comments_service.api import api, context
from comments_service.api.comments import READER_BEARER
from comments_service.api.openapi import documented
from comments_service.api.parsing import json_body
from comments_service.auth import bearer_token
from comments_service.errors import ReaderTokenInvalid, SsoTokenInvalid
from comments_service.extensions import db
from comments_service.limits import edit_limit, limiter, post_limit, read_limit
from comments_service.schemas.readers import (
    ErasedOut,
    MeOut,
    MyDataOut,
    SignedInOut,
    SignedOutOut,
    SsoIn,
    reader_dict,
    sign_in_dict,
)
from comments_service.services import identity_data, readers, sign_in, sso


def _required_reader(site_slug: str) -> tuple[readers.Reader, str]:
    site = context.site(site_slug)
    token = bearer_token()
    if token is None:
        raise ReaderTokenInvalid("Send Authorization: Bearer with your sign-in token.")
    return readers.authenticate(db.session, site, token, context.now()), token


@api.get("/sites/<site_slug>/me")
@limiter.limit(read_limit)
@documented(
    "The signed-in reader this bearer token proves.",
    headers=(READER_BEARER,),
    responses={200: MeOut},
    errors=(401, 403, 404, 429),
    tags=("readers",),
)
def get_me(site_slug: str) -> Response:
    reader, _token = _required_reader(site_slug)
    response = jsonify({"reader": reader_dict(reader)})
    response.headers["Cache-Control"] = "no-store"
    return response


@api.post("/sites/<site_slug>/sign-out")
@limiter.limit(edit_limit)
@documented(
    "Sign out: the bearer token stops working, on this device.",
    headers=(READER_BEARER,),
    responses={200: SignedOutOut},
    errors=(401, 403, 404, 429),
    tags=("readers",),
)
def sign_out(site_slug: str) -> Response:
    site = context.site(site_slug)
    _reader, token = _required_reader(site_slug)
    readers.sign_out(db.session, site, token, context.now())
    db.session.commit()
    return jsonify({"signed_out": True})


@api.post("/sites/<site_slug>/sign-in/sso/<way_key>")
@limiter.limit(post_limit)
@documented(
    "Sign in with the site's own accounts: exchange the site's HS256 JWT (id, name, "
    "optional email and avatar, exp) for a service token.",
    body=SsoIn,
    responses={200: SignedInOut},
    errors=(400, 401, 403, 404, 415, 422, 429),
    tags=("readers",),
)
def sign_in_sso(site_slug: str, way_key: str) -> tuple[Response, int, dict[str, str]]:
    site = context.site(site_slug)
    payload = json_body(SsoIn)
    way = sign_in.way(site, way_key, kinds=("sso",))
    secret = sign_in.secret_for(site, way.key, os.environ)
    if not secret:
        raise SsoTokenInvalid("This site's sign-in has no secret set up yet.")
    settings = context.settings().readers
    profile = sso.profile_from_token(payload.token, secret, way.key,
                                     lambda: int(time.time()), settings.flow_seconds)
    issued = readers.sign_in(db.session, site, profile, settings, context.now())
    body = sign_in_dict(issued)
    db.session.commit()
    return jsonify(body), 200, {"Cache-Control": "no-store"}


@api.get("/sites/<site_slug>/me/data")
@limiter.limit(read_limit)
@documented(
    "Everything tied to your identity on this site: the identity and your comments.",
    headers=(READER_BEARER,),
    responses={200: MyDataOut},
    errors=(401, 403, 404, 429),
    tags=("readers",),
)
def get_my_data(site_slug: str) -> Response:
    site = context.site(site_slug)
    reader, _token = _required_reader(site_slug)
    response = jsonify(identity_data.export(db.session, site, reader))
    response.headers["Cache-Control"] = "no-store"
    return response


@api.delete("/sites/<site_slug>/me")
@limiter.limit(edit_limit)
@documented(
    "Erase everything tied to your identity on this site: your comments (those with "
    "others' replies stay as empty placeholders), the identity, every sign-in.",
    headers=(READER_BEARER,),
    responses={200: ErasedOut},
    errors=(401, 403, 404, 429),
    tags=("readers",),
)
def erase_me(site_slug: str) -> Response:
    site = context.site(site_slug)
    reader, _token = _required_reader(site_slug)
    erased = identity_data.erase(db.session, site, reader, context.now())
    db.session.commit()
    return jsonify({"deleted": erased.deleted,
                    "kept_as_placeholders": erased.kept_as_placeholders})
