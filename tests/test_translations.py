"""The server's catalogues (comments_service/translations/): the .pot holds every wrapped
string of the sources, and every language's .po is complete against it: every msgid, no
unknown or obsolete one, nothing fuzzy, the placeholders of the English, and as many
plural forms as the language has (Babel's CLDR-derived Plural-Forms). What is missing
is printed per language."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from comments_service import languages

ROOT = Path(__file__).resolve().parent.parent
POT = languages.TRANSLATIONS_DIR / "messages.pot"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
EXTRACT = ["-F", "babel.cfg", "-k", "lazy_gettext", "-k", "_l", "-k", "tr:2",
           "--add-comments=TRANSLATORS:", "--sort-by-file", "--no-wrap", "--omit-header"]


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def key(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, tuple | list) else (message.id,)


def template() -> dict[tuple[str, ...], Message]:
    return {key(m): m for m in read(POT) if m.id}


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def problems(code: str, catalog: Catalog, wanted: dict[tuple[str, ...], Message]) -> list[str]:
    """Everything wrong with one language's catalogue, one line each."""
    found = {key(m): m for m in catalog if m.id}
    out = [f"missing: {k[0]!r}" for k in wanted if k not in found]
    out += [f"unknown or obsolete: {k[0]!r}" for k in found if k not in wanted]
    out += [f"obsolete entry kept: {m.id!r}" for m in catalog.obsolete.values()]
    forms = get_plural(languages.locale_dir(code)).num_plurals
    for k, message in found.items():
        if k not in wanted:
            continue
        if message.fuzzy:
            out.append(f"fuzzy: {k[0]!r}")
        english = set().union(*(placeholders(text) for text in k))
        strings = list(message.string) if isinstance(message.string, tuple | list) \
            else [message.string]
        if len(k) > 1 and len(strings) != forms:
            out.append(f"{len(strings)} plural forms, {code} needs {forms}: {k[0]!r}")
        for text in strings:
            if not text:
                out.append(f"untranslated: {k[0]!r}")
            elif placeholders(text) - english or (
                    len(k) == 1 and placeholders(text) != english):
                out.append(f"placeholders {sorted(placeholders(text))} instead of "
                           f"{sorted(english)}: {k[0]!r}")
    return out


def test_the_template_is_current_with_the_sources(tmp_path: Path) -> None:
    """Extracting the sources again gives the committed .pot's messages exactly: a string
    wrapped since (or unwrapped) fails here until `make messages` is run."""
    fresh = tmp_path / "messages.pot"
    cwd = Path.cwd()
    try:
        os.chdir(ROOT)  # babel.cfg's patterns are relative to the checkout
        CommandLineInterface().run(["pybabel", "-q", "extract", *EXTRACT, "-o", str(fresh),
                                    "."])
    finally:
        os.chdir(cwd)
    extracted = {key(m) for m in read(fresh) if m.id}
    committed = set(template())
    assert sorted(extracted - committed) == [], "wrapped but not in messages.pot"
    assert sorted(committed - extracted) == [], "in messages.pot but no longer wrapped"
    assert len(committed) > 250


@pytest.mark.parametrize("code", [c for c in languages.LANGUAGES if c != languages.DEFAULT])
def test_every_language_has_a_complete_catalogue(code: str) -> None:
    """Each of the 40 languages: its .po exists and has nothing missing or wrong."""
    path = languages.po_path(code)
    assert path.exists(), f"{code}: no catalogue at {path.relative_to(ROOT)}"
    found = problems(code, read(path, languages.locale_dir(code)), template())
    if found:
        print(f"{code}: {len(found)} problem(s)\n  " + "\n  ".join(found))
    assert found == [], f"{code}: {len(found)} problem(s), first: {found[0]}"


def test_the_check_names_what_is_wrong() -> None:
    """A catalogue missing a message, with a stray one, a fuzzy one, a changed
    placeholder and too few plural forms gets one line for each."""
    wanted = template()
    catalog = Catalog(locale="pl")
    with_placeholder = next(k for k in wanted if len(k) == 1 and placeholders(k[0]))
    plural = next(k for k in wanted if len(k) > 1)
    fuzzy, missing = [k for k in wanted if len(k) == 1 and not placeholders(k[0])][:2]
    catalog.add(with_placeholder[0], "%(nobody)s odpowiedział")
    catalog.add(plural, ("jeden", "dwa"))
    catalog.add(fuzzy[0], "coś", flags=("fuzzy",))
    catalog.add("Not a message of ours", "Nic")
    found = problems("pl", catalog, wanted)
    assert any(line.startswith("placeholders") for line in found)
    assert any(line.startswith("2 plural forms, pl needs 3") for line in found)
    assert any(line.startswith("fuzzy") for line in found)
    assert "unknown or obsolete: 'Not a message of ours'" in found
    assert f"missing: {missing[0]!r}" in found


def test_every_language_of_the_widget_is_a_language_of_the_server() -> None:
    """One list: the widget's catalogues plus English are the server's languages."""
    from comments_service.widget.parts import catalogues

    assert set(languages.LANGUAGES) == catalogues() | {"en"}


@pytest.mark.parametrize(("tag", "code"), [
    ("es", "es"), ("es-MX", "es"), ("ES_es", "es"), ("pt", "pt-BR"), ("pt-pt", "pt-PT"),
    ("zh-TW", "zh-Hant"), ("zh-Hant-HK", "zh-Hant"), ("zh", "zh-Hans"), ("nn", "nb"),
    ("en-GB", "en"), ("xx", None), ("", None), (None, None), ("e" * 40, None),
])
def test_a_tag_maps_to_a_supported_language_as_the_widget_maps_it(
    tag: str | None, code: str | None
) -> None:
    assert languages.supported(tag) == code


def test_a_catalogue_without_its_mo_is_compiled_in_memory(tmp_path: Path) -> None:
    """A fresh checkout has .po files only: they are read all the same, never English."""
    po = tmp_path / "es" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    catalog = Catalog(locale="es")
    catalog.add("Saved", "Guardado")
    buffer = io.BytesIO()
    from babel.messages.pofile import write_po

    write_po(buffer, catalog)
    po.write_bytes(buffer.getvalue())
    from babel.support import Translations

    assert Translations(io.BytesIO(languages.compile_po(po))).gettext("Saved") == "Guardado"
