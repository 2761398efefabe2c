"""Moderators and readers who sign in: a site's sign-in settings, banning an identity.

Routes of the moderation API (api/moderation.py: bearer tokens, no CORS, never cached).
Secrets are write-only: PATCH takes them, nothing returns them.
"""

from __future__ import annotations

import os

from flask import Response, jsonify

from comments_service.api import context
from comments_service.api.moderation import AUTHORIZATION, TAGS, _actor, moderation_api
from comments_service.api.openapi import documented
from comments_service.api.parsing import json_body
from comments_service.extensions import db
from comments_service.schemas.readers import (
    IdentityBanIn,
    IdentityOut,
    SignInSettingsIn,
    SignInSettingsOut,
)
from comments_service.services import readers, sign_in


@moderation_api.get("/sites/<site_slug>/sign-in")
@documented("A site's sign-in settings: the mode, the ways in, whether each secret is set "
            "(never the secret).", headers=(AUTHORIZATION,),
            responses={200: SignInSettingsOut}, errors=(401, 403, 404), tags=TAGS)
def get_sign_in(site_slug: str) -> Response:
    actor = _actor()
    site = context.site(site_slug)
    actor.require_site(site.id)
    return jsonify(sign_in.moderator_view(site, os.environ))


@moderation_api.patch("/sites/<site_slug>/sign-in")
@documented("Change a site's sign-in settings (audited as sign_in_settings); ways replace "
            "all ways; secrets are write-only.", body=SignInSettingsIn,
            headers=(AUTHORIZATION,), responses={200: SignInSettingsOut},
            errors=(400, 401, 403, 404, 415, 422), tags=TAGS)
def update_sign_in(site_slug: str) -> Response:
    actor = _actor()
    payload = json_body(SignInSettingsIn)
    site = context.site(site_slug)
    changes = sign_in.SignInChanges(
        mode=payload.mode,
        ways=tuple(w.model_dump() for w in payload.ways) if payload.ways is not None else None,
        edit_window_seconds=payload.edit_window_seconds,
        secrets=payload.secrets,
    )
    sign_in.configure(db.session, site, actor, changes, context.now())
    body = sign_in.moderator_view(site, os.environ)
    db.session.commit()
    return jsonify(body)


def _set_banned(site_slug: str, identity_id: int, is_banned: bool, note: str | None) -> Response:
    actor = _actor()
    site = context.site(site_slug)
    identity = readers.set_banned(db.session, actor, site, identity_id, is_banned,
                                  context.now(), note)
    body = IdentityOut.dump(identity)  # read before the commit expires the row
    db.session.commit()
    return jsonify(body)


@moderation_api.post("/sites/<site_slug>/identities/<int:identity_id>/ban")
@documented("Ban a signed-in reader (an identity): every token of theirs stops working "
            "and they cannot sign in again here. Audited as ban_identity.",
            body=IdentityBanIn, headers=(AUTHORIZATION,), responses={200: IdentityOut},
            errors=(400, 401, 403, 404, 415, 422), tags=TAGS)
def ban_identity(site_slug: str, identity_id: int) -> Response:
    payload = json_body(IdentityBanIn)
    return _set_banned(site_slug, identity_id, True, payload.note)


@moderation_api.delete("/sites/<site_slug>/identities/<int:identity_id>/ban")
@documented("Lift the ban of a signed-in reader (audited as unban_identity).",
            headers=(AUTHORIZATION,), responses={200: IdentityOut},
            errors=(401, 403, 404), tags=TAGS)
def unban_identity(site_slug: str, identity_id: int) -> Response:
    return _set_banned(site_slug, identity_id, False, None)
