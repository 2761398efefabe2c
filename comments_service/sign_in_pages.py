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
from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import refresh
from itsdangerous import BadSignature, URLSafeTimedSerializer

from comments_service import languages
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
from comments_service.translation import PAGE_LANGUAGE, current_language

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


# The refusals these pages meet, in the reader's language (errors.py keeps the English).
REFUSALS = {
    "sign_in_origin_not_allowed": _l("This page may not sign readers in for that site: its "
                                     "address is not one of the site's allowed origins."),
    "sign_in_way_not_found": _l("This site offers no such way to sign in."),
    "site_not_found": _l("There is no such site."),
    "link_used": _l("This sign-in link was used already: ask for a new one."),
}


@sign_in_pages.errorhandler(ApiError)
def refused(exc: ApiError) -> Response:
    """A refusal as a page in the popup: the reader sees why, the widget gets nothing.
    A provider's own failure (services/sign_in_flows.py) is told in English after a
    sentence in the reader's language."""
    db.session.rollback()
    message = REFUSALS.get(exc.code)
    if message is not None:
        text = str(message)
    elif isinstance(exc, SignInFailed) and not isinstance(exc, Told):
        text = f"{_('Signing in did not work. Please try again.')} ({exc.message})"
    else:
        text = exc.message
    return page(_("Sign-in did not work"), text, exc.status)


class Told(SignInFailed):
    """A SignInFailed of these pages, its message already in the reader's language."""


@sign_in_pages.before_request
def flow_language() -> None:
    """The provider's callback carries no ?lang=: the page takes the popup's language,
    kept in the flow cookie."""
    if request.endpoint != "sign_in_pages.callback" or request.args.get("lang"):
        return
    try:
        values = _serializer().loads(request.cookies.get(FLOW_COOKIE, ""),
                                     max_age=_settings().readers.flow_seconds)
    except BadSignature:
        return
    lang = languages.supported(values.get("lang")) if isinstance(values, dict) else None
    if lang:
        g.setdefault(PAGE_LANGUAGE, lang)
        refresh()


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
        raise Told(_("This way to sign in is not set up yet (no client secret)."))
    redirect_uri = url_for(".callback", site_slug=site.slug, way_key=way.key, _external=True)
    return sign_in_flows.Client(way=way, secret=secret, redirect_uri=redirect_uri,
                                timeout_s=_settings().readers.provider_timeout_seconds)


def signed_in_page(site: Site, origin: str, issued: readers.IssuedToken) -> Response:
    """The page that hands the token to the widget (and only to ``origin``)."""
    return page(_("Signed in"), _("You are signed in as %(name)s. You can close this window.",
                                  name=issued.reader.name),
                result={"origin": origin, "payload": sign_in_dict(issued)})


@sign_in_pages.get("/<site_slug>/start")
@limiter.limit(read_limit)
def start(site_slug: str) -> Response:
    site = sites.get_site(db.session, site_slug)
    origin = checked_origin(site, request.args.get("origin"))
    way = sign_in.way(site, request.args.get("way", ""))
    if way.kind == "email":
        return page(_("Sign in by email"), _("We will email you a link that signs you in."),
                    template="email", origin=origin, way=way.key)
    if way.kind not in PROVIDER_KINDS:
        raise SignInWayNotFound()
    url, flow = sign_in_flows.start(_client(site, way), site.slug, origin)
    flow = replace(flow, lang=current_language())
    response = redirect(url, 303)
    response.set_cookie(
        FLOW_COOKIE, _serializer().dumps(asdict(flow)),
        max_age=_settings().readers.flow_seconds, path=f"/auth/{site.slug}/",
        secure=not _settings().is_development, httponly=True, samesite="Lax")
    return response


def _flow(site: Site, way_key: str) -> Flow:
    raw = request.cookies.get(FLOW_COOKIE)
    if raw is None:
        raise Told(_("This sign-in window has no sign-in in progress (or it took too "
                       "long). Close it and try again."))
    try:
        values = _serializer().loads(raw, max_age=_settings().readers.flow_seconds)
        flow = Flow(**values)
    except (BadSignature, TypeError) as exc:
        raise Told(_("This sign-in took too long or was altered. Close this window "
                       "and try again.")) from exc
    if flow.site != site.slug or flow.way != way_key:
        raise Told(_("This sign-in was started for another site or way in."))
    return flow


@sign_in_pages.get("/<site_slug>/callback/<way_key>")
@limiter.limit(read_limit)
def callback(site_slug: str, way_key: str) -> Response:
    site = sites.get_site(db.session, site_slug)
    way = sign_in.way(site, way_key, kinds=PROVIDER_KINDS)
    flow = _flow(site, way_key)
    origin = checked_origin(site, flow.origin)
    if request.args.get("error"):
        raise Told(_("The provider did not sign you in (you may have declined)."))
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
        raise Told(_("This form was sent from another site."))


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
                                   settings.readers, datetime.now(UTC), current_language())
    except ValidationFailed as exc:
        return page(_("Sign in by email"), _email_problem(exc), 422,
                    template="email", origin=origin, way=way.key)
    db.session.commit()
    return page(_("Check your email"), _("We sent you a link. Open it and press “Sign in”: "
                                         "this window then signs you in and closes."),
                relay=origin)


def _email_problem(exc: ValidationFailed) -> str:
    """The email form's problem in the reader's language (the address, then the name)."""
    if "email" in exc.fields:
        return _("Give a valid email address.")
    if "name" in exc.fields:
        return _("Keep the name under %(num)s characters.",
                 num=email_sign_in.MAX_NAME_CHARS)
    return exc.message


def _email_claim(site: Site, token: str) -> tokens.SignInClaim:
    try:
        claim = tokens.read_sign_in_token(current_app.config["SECRET_KEY"], token,
                                          _settings().readers.email_link_seconds)
    except tokens.InvalidToken as exc:
        raise Told(_("This sign-in link has expired. Ask for a new one.") if exc.is_expired
                     else _("This sign-in link is not valid. Copy the whole link from the "
                            "email.")) from exc
    if claim.site != site.slug:
        raise Told(_("This sign-in link is for another site."))
    sign_in.way(site, claim.way, kinds=("email",))
    return claim


@sign_in_pages.get("/<site_slug>/email/<token>")
@limiter.limit(read_limit)
def email_link(site_slug: str, token: str) -> Response:
    """The emailed link shows a button; nothing happens until it is pressed."""
    site = sites.get_site(db.session, site_slug)
    claim = _email_claim(site, token)
    return page(_("Sign in to %(site_name)s", site_name=site.name),
                _("Sign in as %(name)s (%(email)s).", name=claim.name, email=claim.email),
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
