"""Readers' own data, as pages: ask for the link, then follow it to download or erase.

``/my-data?site=SLUG`` asks for the address; the link mailed to it opens
``/my-data/<token>``, which shows how many comments there are, offers the JSON
download (``/my-data/<token>/comments.json``) and the erase form (a POST: a mail
scanner following links erases nothing). Rules live in services/reader_data.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

from flask import (
    Blueprint,
    Response,
    current_app,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _

from comments_service import languages
from comments_service.config import Settings
from comments_service.errors import ReaderDataOff, SiteNotFound, ValidationFailed
from comments_service.extensions import db
from comments_service.limits import (
    READER_DATA_EMAIL_SCOPE,
    email_key,
    lacks_field,
    limiter,
    read_limit,
    subscribe_email_limit,
    subscribe_limit,
)
from comments_service.models import ReaderDataRequest, Site
from comments_service.notify import tokens
from comments_service.notify.pages import link_page
from comments_service.services import reader_data, sites
from comments_service.translation import current_language

reader_pages = Blueprint("reader_pages", __name__)

def _settings() -> Settings:
    return current_app.extensions["comments_settings"]


@reader_pages.errorhandler(tokens.InvalidToken)
def invalid_link(exc: tokens.InvalidToken) -> Response:
    return link_page("invalid", 400, is_expired=exc.is_expired,
                     expired_hint=_("This link has expired. Ask for a new one from the "
                                    "comments on the site."))


@reader_pages.errorhandler(SiteNotFound)
def unknown_site(exc: SiteNotFound) -> Response:
    return link_page("invalid", 404)


@reader_pages.errorhandler(ReaderDataOff)
def turned_off(exc: ReaderDataOff) -> Response:
    return link_page("invalid", 404)


def _require_enabled() -> None:
    settings = _settings()
    if not (settings.privacy.enabled and settings.notifications.enabled):
        raise ReaderDataOff()


def _site(slug: str | None) -> Site:
    if not slug:
        raise SiteNotFound()
    return sites.get_site(db.session, slug)


@reader_pages.get("/my-data")
@limiter.limit(read_limit)
def ask_page() -> Response:
    _require_enabled()
    site = _site(request.args.get("site"))
    return link_page("reader_data_ask", site_name=site.name, site_slug=site.slug,
                 action=url_for(".ask", lang=current_language()))


@reader_pages.post("/my-data")
@limiter.limit(subscribe_limit)
@limiter.shared_limit(subscribe_email_limit, scope=READER_DATA_EMAIL_SCOPE,
                      key_func=email_key("email"), exempt_when=lacks_field("email"))
def ask() -> Response:
    _require_enabled()
    site = _site(request.form.get("site"))
    settings = _settings()
    email = request.form.get("email")
    try:
        reader_data.request_link(
            db.session, site, email, settings.comments, settings.privacy,
            settings.notifications.enabled, current_app.config["SECRET_KEY"], datetime.now(UTC),
            languages.supported(request.form.get("lang")) or current_language(),
        )
    except ValidationFailed:
        return link_page("reader_data_ask", 422, site_name=site.name, site_slug=site.slug,
                     action=url_for(".ask", lang=current_language()), email=email,
                     error=_("Give the email address you commented with: this one is not "
                             "a valid address."))
    db.session.commit()
    return link_page("reader_data_sent", site_name=site.name)


def _request(token: str, *, for_update: bool = False) -> ReaderDataRequest:
    _require_enabled()
    max_age = _settings().privacy.link_max_age_seconds
    claim = tokens.read_reader_data_token(current_app.config["SECRET_KEY"], token, max_age)
    return reader_data.find_request(db.session, claim, datetime.now(UTC), for_update=for_update)


@reader_pages.get(f"{tokens.READER_DATA_PATH}<token>")
@limiter.limit(read_limit)
def request_page(token: str) -> Response:
    found = _request(token)
    return link_page("reader_data", summary=reader_data.summarize(db.session, found),
                 download_url=url_for(".download", token=token, lang=current_language()),
                 erase_url=url_for(".erase", token=token, lang=current_language()))


@reader_pages.get(f"{tokens.READER_DATA_PATH}<token>/comments.json")
@limiter.limit(read_limit)
def download(token: str) -> Response:
    found = _request(token)
    if found.erased_at is not None:
        raise tokens.InvalidToken()
    now = datetime.now(UTC)
    header = reader_data.export_header(db.session, found, now)

    def document() -> Iterator[str]:
        # {...header, "comments": [ ... ]}, one comment per chunk.
        yield json.dumps(header, ensure_ascii=False)[:-1] + ', "comments": ['
        for index, entry in enumerate(reader_data.export_comments(db.session, found, now)):
            yield ("," if index else "") + "\n" + json.dumps(entry, ensure_ascii=False)
        yield "\n]}\n"

    response = Response(stream_with_context(document()), mimetype="application/json")
    site_slug = header["site"]["slug"] if header["site"] else "site"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="comments-{site_slug}-{now:%Y%m%d}.json"'
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@reader_pages.post(f"{tokens.READER_DATA_PATH}<token>/erase")
@limiter.limit(subscribe_limit)
def erase(token: str) -> Response:
    found = _request(token, for_update=True)
    if found.erased_at is not None:
        raise tokens.InvalidToken()
    if request.form.get("confirm") != "yes":
        return link_page("reader_data", 422, summary=reader_data.summarize(db.session, found),
                     download_url=url_for(".download", token=token, lang=current_language()),
                     erase_url=url_for(".erase", token=token, lang=current_language()),
                     error=_("Tick the box to confirm."))
    erased = reader_data.erase_comments(db.session, found, datetime.now(UTC))
    db.session.commit()
    return link_page("reader_data_erased", erased=erased)
