"""POST a subscription: follow an article's comments by email without posting."""

from __future__ import annotations

from flask import Response, current_app, jsonify

from comments_service import languages
from comments_service.api import api, context
from comments_service.api.openapi import documented
from comments_service.api.parsing import json_body
from comments_service.extensions import db
from comments_service.limits import (
    email_key,
    lacks_field,
    limiter,
    subscribe_email_limit,
    subscribe_limit,
)
from comments_service.schemas import NewSubscription, SubscriptionOut
from comments_service.services import subscriptions

ACCEPTED_MESSAGE = (
    "If this address has not confirmed notifications before, a confirmation link is on "
    "its way; nothing else is sent until it is followed."
)


@api.post("/sites/<site_slug>/subscriptions")
@limiter.limit(subscribe_limit)
@limiter.limit(subscribe_email_limit, key_func=email_key("email"),
               exempt_when=lacks_field("email"))
@documented(
    "Follow an article's new comments by email (double opt-in: unconfirmed addresses "
    "get a confirmation link first). The answer is the same for every address.",
    body=NewSubscription,
    responses={202: SubscriptionOut},
    errors=(400, 403, 404, 409, 413, 415, 422, 429),
    tags=("notifications",),
)
def subscribe(site_slug: str) -> tuple[Response, int, dict[str, str]]:
    site = context.site(site_slug)
    payload = json_body(NewSubscription)
    settings = context.settings()
    mode = subscriptions.subscribe_reader(
        db.session,
        site,
        subscriptions.SubscribeRequest(payload.article, payload.email, payload.notify,
                                       languages.supported(payload.lang)),
        settings.comments,
        settings.notifications,
        current_app.config["SECRET_KEY"],
        context.now(),
    )
    db.session.commit()
    body = SubscriptionOut.dump(
        {"article": payload.article.strip(), "notify": mode, "message": ACCEPTED_MESSAGE})
    return jsonify(body), 202, {"Cache-Control": "no-store"}
