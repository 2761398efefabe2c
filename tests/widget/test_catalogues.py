"""widget/i18n/*.json and their route: every language but English is a catalogue of its
own, complete against the English strings built into the script, served at a versioned
URL that may be cached for a year."""

from __future__ import annotations

import json
import re

import pytest
from babel import Locale
from flask.testing import FlaskClient

from comments_service.widget.parts import CATALOGUE_DIR, SRC_DIR, assembled, catalogue, catalogues

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def english() -> dict[str, object]:
    """The English table of src/i18n.js, read as data (its values are plain literals)."""
    source = (SRC_DIR / "i18n.js").read_text(encoding="utf-8")
    block = source[source.index("const EN = {"):source.index("\n};\n")]
    table: dict[str, object] = {}
    for key, value in re.findall(r"^  (\w+): (.+),$", block, flags=re.M):
        if value.startswith("{"):
            table[key] = dict(re.findall(r"(\w+): '((?:[^'\\]|\\.)*)'", value))
        else:
            table[key] = value[1:-1].replace("\\'", "'")
    return table


def placeholders(value: object) -> set[str]:
    texts = value.values() if isinstance(value, dict) else [value]
    return {name for text in texts for name in PLACEHOLDER.findall(str(text))}


def test_english_is_read_whole() -> None:
    table = english()
    assert len(table) > 80
    assert table["comments"] == {"one": "{n} comment", "other": "{n} comments"}


@pytest.mark.parametrize("lang", sorted(catalogues()))
def test_every_catalogue_has_exactly_the_english_keys_and_placeholders(lang: str) -> None:
    strings = json.loads((CATALOGUE_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    en = english()
    assert sorted(set(en) - set(strings)) == [], "missing"
    assert sorted(set(strings) - set(en)) == [], "unknown keys"
    for key, value in strings.items():
        assert value, key
        assert placeholders(value) == placeholders(en[key]), key
        if isinstance(value, dict):
            assert "other" in value, key


@pytest.mark.parametrize("lang", sorted(catalogues()))
def test_plural_forms_are_exactly_the_cldr_categories_of_the_language(lang: str) -> None:
    """A plural object has every form CLDR requires for the language (as the browser's
    Intl.PluralRules picks them) and no other; a plain string serves every number."""
    strings = json.loads((CATALOGUE_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    wanted = set(Locale.parse(lang.replace("-", "_")).plural_form.tags) | {"other"}
    for key, value in strings.items():
        if isinstance(value, dict):
            assert set(value) == wanted, (key, sorted(value), sorted(wanted))


def test_every_language_the_issue_names_has_a_catalogue() -> None:
    assert catalogues() >= {
        "ar", "bg", "bn", "ca", "cs", "da", "de", "el", "es", "et", "fa", "fi", "fr", "he",
        "hi", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "nb", "nl", "pl", "pt-BR",
        "pt-PT", "ro", "ru", "sk", "sl", "sr", "sv", "th", "tr", "uk", "vi", "zh-Hans",
        "zh-Hant"}


def test_the_script_names_each_catalogue_by_its_current_version() -> None:
    script = assembled.__wrapped__("embed.js")
    versions = json.loads(re.search(r"const CATALOGUES = (\{.*?\});", script).group(1))
    assert versions == {lang: catalogue(lang).version for lang in catalogues()}
    assert {"de", "ar"} <= set(versions)
    assert "en" not in versions


def test_a_catalogue_is_served_for_any_page_and_cached_for_a_year(client: FlaskClient) -> None:
    current = catalogue("de")
    response = client.get(f"/embed-i18n/{current.version}/de.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json["heading"] == "Was denken Sie?"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    again = client.get(f"/embed-i18n/{current.version}/de.json",
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_an_old_version_gets_todays_strings_cached_briefly(client: FlaskClient) -> None:
    response = client.get("/embed-i18n/0000000000000000/de.json")
    assert response.status_code == 200
    assert response.json["heading"] == "Was denken Sie?"
    assert "immutable" not in response.headers["Cache-Control"]


def test_a_catalogue_is_compressed_when_the_client_accepts_it(client: FlaskClient) -> None:
    response = client.get(f"/embed-i18n/{catalogue('ar').version}/ar.json",
                          headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]


@pytest.mark.parametrize("lang", ["en", "xx", "de.json", "..%2fconfig"])
def test_a_language_without_a_catalogue_is_a_json_404(client: FlaskClient, lang: str) -> None:
    response = client.get(f"/embed-i18n/v/{lang}.json")
    assert response.status_code == 404
    assert response.json["error"]["code"] in {"language_not_found", "not_found"}
