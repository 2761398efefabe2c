"""The sign-in popup: pages on the service's own origin, opened by the widget.

``/auth/SITE/start?way=KEY&origin=ORIGIN`` checks that the site offers that way and
allows that origin, then sends the popup to the provider; the provider comes back to
``/auth/SITE/callback/KEY``, which signs the reader in and hands the widget a service
token by ``postMessage`` addressed to that exact origin (templates/sign_in/page.html).
No cookie is needed across sites: the popup is a top-level window of this service, and
its one cookie (the flow's state, nonce and PKCE verifier, signed, path /auth/SITE/,
SameSite=Lax, gone after the callback) is first-party.

Every refusal is a 4xx page saying why; none carries a token.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from itsdangerous import BadSignature, URLSafeTimedSerializer

from comments_service.config import Settings
from comments_service.errors import (
    ApiError,
    SignInFailed,
    SignInOriginRefused,
    SignInWayNotFound,
    ValidationFailed,
)
from comments_service.extensions import db
from comments_service.limits import (
    email_key,
    lacks_field,
    limiter,
    read_limit,
    subscribe_email_limit,
    subscribe_limit,
)
from comments_service.models import Site
from comments_service.notify import tokens
from comments_service.schemas.readers import sign_in_dict
from comments_service.services import email_sign_in, readers, sign_in, sign_in_flows, sites
from comments_service.services.sign_in_flows import Flow

sign_in_pages = Blueprint("sign_in_pages", __name__, url_prefix="/auth")

FLOW_COOKIE = "comments_sign_in"
FLOW_SALT = "comments.sign-in-flow"
PROVIDER_KINDS = ("oidc", "github")


def _settings() -> Settings:
    return current_app.extensions["comments_settings"]


def page(title: str, message: str, status: int = 200, template: str = "page",
         **context: Any) -> Response:
    """A popup page, never cached, scripts only with this response's nonce."""
    nonce = secrets.token_urlsafe(16)
    body = render_template(f"sign_in/{template}.html", title=title, message=message,
                           nonce=nonce, **context)
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    # same-origin, not no-referrer: under no-referrer a browser sends "Origin: null" with
    # the pages' own form posts, which _same_origin_post refuses. Other sites get nothing.
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
    return response


@sign_in_pages.errorhandler(ApiError)
def refused(exc: ApiError) -> Response:
    """A refusal as a page in the popup: the reader sees why, the widget gets nothing."""
    db.session.rollback()
    return page("Sign-in did not work", exc.message, exc.status)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=FLOW_SALT)


def checked_origin(site: Site, origin: str | None) -> str:
    """The opener's origin, when the site allows it. Raises SignInOriginRefused."""
    normalized = sites.normalize_origin(origin or "")
    if normalized is None or not sites.is_origin_allowed(site, normalized):
        raise SignInOriginRefused()
    return normalized


def _client(site: Site, way: sign_in.Way) -> sign_in_flows.Client:
    secret = sign_in.secret_for(site, way.key, os.environ)
    if way.kind in sign_in.NEEDS_SECRET and not secret:
        raise SignInFailed("This way to sign in is not set up yet (no client secret).")
    redirect_uri = url_for(".callback", site_slug=site.slug, way_key=way.key, _external=True)
    return sign_in_flows.Client(way=way, secret=secret, redirect_uri=redirect_uri,
                                timeout_s=_settings().readers.provider_timeout_seconds)


def signed_in_page(site: Site, origin: str, issued: readers.IssuedToken) -> Response:
    """The page that hands the token to the widget (and only to ``origin``)."""
    return page("Signed in", f"You are signed in as {issued.reader.name}. "
                "You can close this window.",
                result={"origin": origin, "payload": sign_in_dict(issued)})


@sign_in_pages.get("/<site_slug>/start")
@limiter.limit(read_limit)
def start(site_slug: str) -> Response:
    site = sites.get_site(db.session, site_slug)
    origin = checked_origin(site, request.args.get("origin"))
    way = sign_in.way(site, request.args.get("way", ""))
    if way.kind == "email":
        return page("Sign in by email", "We will email you a link that signs you in.",
                    template="email", origin=origin, way=way.key)
    if way.kind not in PROVIDER_KINDS:
        raise SignInWayNotFound()
    url, flow = sign_in_flows.start(_client(site, way), site.slug, origin)
    response = redirect(url, 303)
    response.set_cookie(
        FLOW_COOKIE, _serializer().dumps(asdict(flow)),
        max_age=_settings().readers.flow_seconds, path=f"/auth/{site.slug}/",
        secure=not _settings().is_development, httponly=True, samesite="Lax")
    return response


def _flow(site: Site, way_key: str) -> Flow:
    raw = request.cookies.get(FLOW_COOKIE)
    if raw is None:
        raise SignInFailed("This sign-in window has no sign-in in progress (or it took too "
                           "long). Close it and try again.")
    try:
        values = _serializer().loads(raw, max_age=_settings().readers.flow_seconds)
        flow = Flow(**values)
    except (BadSignature, TypeError) as exc:
        raise SignInFailed("This sign-in took too long or was altered. Close this window "
                           "and try again.") from exc
    if flow.site != site.slug or flow.way != way_key:
        raise SignInFailed("This sign-in was started for another site or way in.")
    return flow


@sign_in_pages.get("/<site_slug>/callback/<way_key>")
@limiter.limit(read_limit)
def callback(site_slug: str, way_key: str) -> Response:
    site = sites.get_site(db.session, site_slug)
    way = sign_in.way(site, way_key, kinds=PROVIDER_KINDS)
    flow = _flow(site, way_key)
    origin = checked_origin(site, flow.origin)
    if request.args.get("error"):
        raise SignInFailed("The provider did not sign you in (you may have declined).")
    profile = sign_in_flows.finish(_client(site, way), flow, request.args.get("state"),
                                   request.args.get("code"))
    now = datetime.now(UTC)
    issued = readers.sign_in(db.session, site, profile, _settings().readers, now)
    db.session.commit()
    response = signed_in_page(site, origin, issued)
    response.delete_cookie(FLOW_COOKIE, path=f"/auth/{site.slug}/")
    return response




# ---- the emailed link (services/email_sign_in.py) ---------------------------------------


SIGN_IN_EMAIL_SCOPE = "sign-in-email"


def _same_origin_post() -> None:
    """A form of these pages, not of another site (browsers send Origin with a POST)."""
    own = sites.normalize_origin(request.host_url)
    if sites.normalize_origin(request.headers.get("Origin", "")) != own:
        raise SignInFailed("This form was sent from another site.")


@sign_in_pages.post("/<site_slug>/start")
@limiter.limit(subscribe_limit)
@limiter.shared_limit(subscribe_email_limit, scope=SIGN_IN_EMAIL_SCOPE,
                      key_func=email_key("email"), exempt_when=lacks_field("email"))
def send_link(site_slug: str) -> Response:
    """The popup's email form: queue the mail, then wait for the link to be used."""
    _same_origin_post()
    site = sites.get_site(db.session, site_slug)
    origin = checked_origin(site, request.form.get("origin"))
    way = sign_in.way(site, request.form.get("way", ""), kinds=("email",))
    settings = _settings()
    try:
        email_sign_in.request_link(db.session, site, way, request.form.get("email"),
                                   request.form.get("name"), origin, settings.comments,
                                   settings.readers, datetime.now(UTC))
    except ValidationFailed as exc:
        return page("Sign in by email", " ".join(exc.fields.values()) or exc.message, 422,
                    template="email", origin=origin, way=way.key)
    db.session.commit()
    return page("Check your email", "We sent you a link. Open it and press \"Sign in\": "
                "this window then signs you in and closes.", relay=origin)


def _email_claim(site: Site, token: str) -> tokens.SignInClaim:
    try:
        claim = tokens.read_sign_in_token(current_app.config["SECRET_KEY"], token,
                                          _settings().readers.email_link_seconds)
    except tokens.InvalidToken as exc:
        raise SignInFailed("This sign-in link has expired or is not valid. Ask for a new "
                           "one." if exc.is_expired else "This sign-in link is not valid. "
                           "Copy the whole link from the email.") from exc
    if claim.site != site.slug:
        raise SignInFailed("This sign-in link is for another site.")
    sign_in.way(site, claim.way, kinds=("email",))
    return claim


@sign_in_pages.get("/<site_slug>/email/<token>")
@limiter.limit(read_limit)
def email_link(site_slug: str, token: str) -> Response:
    """The emailed link shows a button; nothing happens until it is pressed."""
    site = sites.get_site(db.session, site_slug)
    claim = _email_claim(site, token)
    return page(f"Sign in to {site.name}", f"Sign in as {claim.name} ({claim.email}).",
                template="confirm")


@sign_in_pages.post("/<site_slug>/email/<token>")
@limiter.limit(subscribe_limit)
def use_email_link(site_slug: str, token: str) -> Response:
    _same_origin_post()
    site = sites.get_site(db.session, site_slug)
    claim = _email_claim(site, token)
    origin = checked_origin(site, claim.origin)
    now = datetime.now(UTC)
    profile = email_sign_in.use_link(db.session, site, claim, now)
    issued = readers.sign_in(db.session, site, profile, _settings().readers, now)
    db.session.commit()
    return signed_in_page(site, origin, issued)
