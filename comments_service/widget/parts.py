"""The widget's source parts and the one order they are assembled in.

The service serves one script (/embed.js) and one stylesheet (/embed.css); their source
is kept in parts under src/, each owning one concern, so that a newcomer opens the file
for the thing they change. ``assembled(name)`` joins the parts in the order listed here;
web.py minifies the result once per process. Nothing is generated on disk, so there is
no built file to keep current.

The script's parts share one function scope (opened and closed here, around all of
them), as the single file did: a part may use what an earlier part declared, and what a
part declares is seen by no page. Later parts add to the Widget class of thread.js
(``Object.assign(Widget.prototype, ...)``); the live feed and the passages do not reach
into it: they get the widget's public methods and subscribe to its events
(``widget.on(name, fn)``), see thread.js.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SRC_DIR = Path(__file__).resolve().parent / "src"
# Every language but English: one catalogue each, fetched by the widget only for a reader
# in that language (src/i18n.js, loadStrings). English is built into the script.
CATALOGUE_DIR = Path(__file__).resolve().parent / "i18n"

# The order is the order of the single file they came from; for the stylesheet it is
# the cascade, so it matters.
PARTS: dict[str, tuple[str, ...]] = {
    "embed.js": (
        "core.js",  # where the service is, constants, DOM helpers, the one HTML sink
        "i18n.js",  # the string tables (passages' included), language choice, plurals, dates
        "api.js",  # the API client: fetch with a timeout, errors as ApiFailure
        "storage.js",  # edit tokens in the page's localStorage
        "counts.js",  # comment counts for index pages
        "thread.js",  # the Widget: loading, rendering the thread, its events
        "votes.js",  # the reader's token and the vote buttons
        "panels.js",  # reply, edit, delete and report panels under a comment
        "forms.js",  # the comment form, posting, errors in a reader's words
        "signin.js",  # readers who sign in: the popup, the token, the signed-in mark
        "feed.js",  # live updates: "N new comments"
        "passages.js",  # markers beside the article's passages, comments on them
        "boot.js",  # start when the page's elements exist
    ),
    "embed.css": (
        "base.css",  # the host, the themes' colours, shared rules
        "forms.css",  # the form and the buttons
        "thread.css",  # the list, a comment, panels, narrow containers
        "feed.css",  # the "N new comments" button
        "passages.css",  # markers, passage panels, quotes
        "votes.css",  # pressed vote buttons, vote errors
    ),
}

_JS_OPEN = "(() => {\n'use strict';\n\n"
_JS_CLOSE = "})();\n"


@cache
def assembled(name: str) -> str:
    """The source text of a served widget file (embed.js or embed.css): its parts in order.

    Raises KeyError for any other name.
    """
    body = "\n".join((SRC_DIR / part).read_text(encoding="utf-8") for part in PARTS[name])
    if name.endswith(".js"):
        versions = {lang: catalogue(lang).version for lang in sorted(catalogues())}
        head = f"const CATALOGUES = {json.dumps(versions, separators=(',', ':'))};\n"
        return _JS_OPEN + head + body + _JS_CLOSE
    return body


@dataclass(frozen=True)
class Catalogue:
    """One language's strings as served: compact JSON, and the version in its URL."""

    body: bytes
    version: str


@cache
def catalogues() -> frozenset[str]:
    """The languages that have a catalogue (file names under i18n/, e.g. "de", "pt-BR")."""
    return frozenset(path.stem for path in CATALOGUE_DIR.glob("*.json"))


@cache
def catalogue(lang: str) -> Catalogue:
    """A language's catalogue, compacted, with a content-derived version.

    Raises KeyError for a language without one.
    """
    if lang not in catalogues():
        raise KeyError(lang)
    strings = json.loads((CATALOGUE_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    body = json.dumps(strings, ensure_ascii=False, separators=(",", ":")).encode()
    return Catalogue(body, hashlib.sha256(body).hexdigest()[:16])
