"""The languages the service speaks, and its server catalogues (gettext, read with Babel).

The same codes as the widget's catalogues (widget/i18n/LANG.json) plus English, the
source language. A code maps to a gettext locale directory by Babel's own spelling:
``pt-BR`` -> ``translations/pt_BR``, ``zh-Hans`` -> ``translations/zh_Hans``.

Catalogues are compiled to ``.mo`` by the install (setup.py's build step); when a
``.mo`` is missing or older than its ``.po`` (a fresh checkout, an edited .po), the
``.po`` is compiled in memory instead, so a translation is never silently English.
No Flask here: the outbox worker and the request handlers both use it.
"""

from __future__ import annotations

import functools
import gettext
import io
from datetime import UTC, datetime
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

DEFAULT = "en"
#: Every supported language, English first (the widget's list: tests/widget).
LANGUAGES: tuple[str, ...] = (
    "en", "ar", "bg", "bn", "ca", "cs", "da", "de", "el", "es", "et", "fa", "fi", "fr",
    "he", "hi", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "nb", "nl", "pl", "pt-BR",
    "pt-PT", "ro", "ru", "sk", "sl", "sr", "sv", "th", "tr", "uk", "vi", "zh-Hans",
    "zh-Hant",
)
RTL = frozenset({"ar", "he", "fa", "ur"})
TRANSLATIONS_DIR = Path(__file__).with_name("translations")
DOMAIN = "messages"
MAX_TAG_CHARS = 35

_KNOWN = {code.lower(): code for code in LANGUAGES}
# The widget's aliases (widget/src/i18n.js ALIAS): a script's usual regions, a
# language's usual variety, older codes.
_ALIAS = {
    "zh": "zh-Hans", "zh-tw": "zh-Hant", "zh-hk": "zh-Hant", "zh-mo": "zh-Hant",
    "zh-cn": "zh-Hans", "zh-sg": "zh-Hans", "pt": "pt-BR", "no": "nb", "nn": "nb",
    "iw": "he",
}


def supported(tag: object) -> str | None:
    """The supported language a tag names (``es-MX`` -> ``es``, ``zh-TW`` -> ``zh-Hant``,
    ``pt_br`` -> ``pt-BR``), or None: by the whole tag, its first two parts, an alias,
    then the language alone, as the widget's pickLang does."""
    if not isinstance(tag, str) or not tag or len(tag) > MAX_TAG_CHARS:
        return None
    parts = tag.strip().lower().replace("_", "-").split("-")
    two = "-".join(parts[:2])
    for key in ("-".join(parts), two, _ALIAS.get(two), _ALIAS.get(parts[0]), parts[0]):
        if key and key.lower() in _KNOWN:
            return _KNOWN[key.lower()]
    return None


def locale_dir(code: str) -> str:
    """The gettext directory name of a language code: Babel's spelling (pt_BR, zh_Hans)."""
    return str(Locale.parse(code, sep="-"))


def babel_locale(code: str) -> Locale:
    return Locale.parse(code, sep="-")


def code_of(locale: Locale | str | None) -> str:
    """The service's code for a Babel locale (or its string): zh_Hans -> zh-Hans."""
    if locale is None:
        return DEFAULT
    return supported(str(locale)) or DEFAULT


def direction(code: str) -> str:
    return "rtl" if code.split("-")[0] in RTL else "ltr"


def po_path(code: str) -> Path:
    return TRANSLATIONS_DIR / locale_dir(code) / "LC_MESSAGES" / f"{DOMAIN}.po"


def catalogue_codes() -> list[str]:
    """The languages with a server catalogue in the package (English needs none)."""
    return [code for code in LANGUAGES if code != DEFAULT and po_path(code).exists()]


@functools.cache
def translations(code: str) -> gettext.NullTranslations:
    """The gettext translations of a language: its compiled .mo when current, else its
    .po compiled in memory; English (or a language without a catalogue) is identity."""
    if code == DEFAULT or code not in _KNOWN.values():
        return NullTranslations()
    po = po_path(code)
    mo = po.with_suffix(".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fh:
            return Translations(fh, domain=DOMAIN)
    if not po.exists():
        return NullTranslations()
    return Translations(io.BytesIO(compile_po(po)), domain=DOMAIN)


def compile_po(po: Path) -> bytes:
    """A .po file compiled to .mo bytes (fuzzy entries left out, as msgfmt does)."""
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=po.parent.parent.name)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def compile_all(root: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Write every catalogue's .mo beside its .po (the install's build step)."""
    written = []
    for po in sorted(root.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = po.with_suffix(".mo")
        mo.write_bytes(compile_po(po))
        written.append(mo)
    return written


def format_when(moment: datetime, code: str) -> str:
    """A moment in UTC as the language writes a long date with a short time (CLDR):
    "December 3, 2026 at 11:49 AM UTC", "3 de diciembre de 2026, 11:49 UTC"."""
    locale = babel_locale(code)
    date = format_date(moment.astimezone(UTC), "long", locale=locale)
    time = format_time(moment, "short", tzinfo=UTC, locale=locale)
    pattern = get_datetime_format("long", locale=locale).replace("'", "")
    return pattern.replace("{0}", time).replace("{1}", date) + " UTC"
