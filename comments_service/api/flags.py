"""POST a reader's flag on a comment ("report to moderators")."""

from __future__ import annotations

from flask import Response, jsonify, request

from comments_service.api import api, context
from comments_service.api.openapi import HeaderParam, documented
from comments_service.api.parsing import json_body
from comments_service.extensions import db
from comments_service.limits import flag_limit, limiter
from comments_service.schemas import FlaggedOut, NewFlag
from comments_service.services import flags

READER_TOKEN = HeaderParam(
    "X-Reader-Token",
    "A random id the widget keeps in localStorage: tells readers on one network apart, "
    "so each may flag a comment once.",
    schema={"type": "string", "maxLength": flags.MAX_READER_TOKEN},
)


@api.post("/sites/<site_slug>/comments/<int:comment_id>/flags")
@limiter.limit(flag_limit)
@documented(
    "Flag a comment for the site's moderators (one flag per reader per comment). "
    "Enough flags from different readers hide it until a moderator decides.",
    body=NewFlag,
    headers=(READER_TOKEN,),
    responses={201: FlaggedOut},
    errors=(400, 403, 404, 409, 413, 415, 422, 429),
    tags=("moderation",),
)
def flag_comment(site_slug: str, comment_id: int) -> tuple[Response, int, dict[str, str]]:
    site = context.site(site_slug)
    payload = json_body(NewFlag)
    flagged = flags.flag_comment(
        db.session,
        site,
        comment_id,
        flags.FlagDraft(reason=payload.reason, text=payload.text),
        client_hash=context.author().client_hash,
        reader_token=request.headers.get(READER_TOKEN.name) or None,
        rules=context.settings().moderation,
        now=context.now(),
        events=context.events(),
    )
    db.session.commit()
    body = FlaggedOut.dump({"flagged": True, "comment_id": flagged.comment_id})
    return jsonify(body), 201, {"Cache-Control": "no-store"}
