"""POST a request for one's own data: a link to download or erase one's comments, by email."""

from __future__ import annotations

from flask import Response, current_app, jsonify

from comments_service import languages
from comments_service.api import api, context
from comments_service.api.openapi import documented
from comments_service.api.parsing import json_body
from comments_service.extensions import db
from comments_service.limits import (
    READER_DATA_EMAIL_SCOPE,
    email_key,
    lacks_field,
    limiter,
    subscribe_email_limit,
    subscribe_limit,
)
from comments_service.schemas import NewReaderDataRequest, ReaderDataRequestOut
from comments_service.services import reader_data

ACCEPTED_MESSAGE = (
    "If comments were posted on this site with this address, a link to see, download "
    "or erase them is on its way to it."
)


@api.post("/sites/<site_slug>/reader-data")
@limiter.limit(subscribe_limit)
@limiter.shared_limit(subscribe_email_limit, scope=READER_DATA_EMAIL_SCOPE,
                      key_func=email_key("email"), exempt_when=lacks_field("email"))
@documented(
    "Ask for a link, mailed to the address, to see, download or erase every comment "
    "posted with it on this site. The answer is the same for every address.",
    body=NewReaderDataRequest,
    responses={202: ReaderDataRequestOut},
    errors=(400, 403, 404, 409, 413, 415, 422, 429),
    tags=("readers",),
)
def request_reader_data(site_slug: str) -> tuple[Response, int, dict[str, str]]:
    site = context.site(site_slug)
    payload = json_body(NewReaderDataRequest)
    settings = context.settings()
    reader_data.request_link(
        db.session, site, payload.email, settings.comments, settings.privacy,
        settings.notifications.enabled, current_app.config["SECRET_KEY"], context.now(),
        languages.supported(payload.lang),
    )
    db.session.commit()
    body = ReaderDataRequestOut.dump({"message": ACCEPTED_MESSAGE})
    return jsonify(body), 202, {"Cache-Control": "no-store"}
