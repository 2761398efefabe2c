"""Flask-Babel for the pages: which language a request gets, and its catalogue.

A page opened from an emailed link carries the mail's language in its query
(``?lang=es``, see notify/tokens.py); otherwise the browser's Accept-Language picks
among the supported languages; otherwise English. Catalogues come from
languages.translations (compiled .mo, or the .po compiled in memory), so a page and a
mail in one language read the same strings.
"""

from __future__ import annotations

import gettext

from flask import Flask, g, request
from flask_babel import Babel, Domain, get_locale

from comments_service import languages

LANG_PARAM = "lang"
# A page's language set by its view (g), for a request whose query cannot carry it (the
# sign-in provider's callback, sign_in_pages.py); ?lang= still wins.
PAGE_LANGUAGE = "page_language"


class _CatalogueDomain(Domain):
    """Flask-Babel's domain, reading the service's catalogues (languages.translations)."""

    def get_translations(self) -> gettext.NullTranslations:
        return languages.translations(languages.code_of(get_locale()))


class _Babel(Babel):
    @property
    def domain_instance(self) -> Domain:
        return _DOMAIN


_DOMAIN = _CatalogueDomain(domain=languages.DOMAIN)


def request_language() -> str:
    """The language of this request: ?lang= when supported, then Accept-Language."""
    asked = languages.supported(request.args.get(LANG_PARAM))
    if asked:
        return asked
    kept = languages.supported(g.get(PAGE_LANGUAGE))
    if kept:
        return kept
    for tag, _quality in request.accept_languages:
        found = languages.supported(tag)
        if found:
            return found
    return languages.DEFAULT


def _locale_selector() -> str:
    return languages.locale_dir(request_language())


def current_language() -> str:
    """The service's code for the request's locale (en, es, pt-BR...)."""
    return languages.code_of(get_locale())


def init_app(app: Flask) -> None:
    """Flask-Babel on the app; templates get lang and text_dir for <html lang dir>."""
    _Babel(app, locale_selector=_locale_selector)
    app.jinja_env.filters["when"] = lambda moment: languages.format_when(
        moment, current_language())

    @app.context_processor
    def language_context() -> dict[str, str]:
        code = current_language()
        return {"lang": code, "text_dir": languages.direction(code)}
