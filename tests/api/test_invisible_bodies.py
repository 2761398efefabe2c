"""Bodies that show nothing are refused like empty ones, on posts and on edits (issue 24.5).

A reader sees a body of zero-width spaces, bidi marks or no-break spaces as an empty
comment, so the API answers the same 422 on ``body`` as for an empty one; a body with
joiners inside its words (emoji sequences, Persian) is stored exactly as typed.
"""

from __future__ import annotations

import pytest

from tests.api.test_comments import assert_error
from tests.conftest import Api

#: Each a body that renders as nothing, named for what it holds.
BLANK_BODIES = {
    "zero-width spaces": "\u200b\u200b\u200b",
    "zero-width joiner and non-joiner": "\u200d\u200c",
    "bidi marks": "\u200e\u200f\u061c",
    "bidi isolates and overrides": "\u2066\u202e\u2069\u202c",
    "word joiner and invisible operators": "\u2060\u2061\u2062\u2063\u2064",
    "no-break spaces": "\u00a0\u202f\u2007",
    "ideographic and em spaces": "\u3000\u2003",
    "byte order mark": "\ufeff",
    "soft hyphen": "\u00ad",
    "hangul fillers": "\u3164\u115f\u1160\uffa0",
    "braille blank": "\u2800\u2800",
    "combining grapheme joiner": "\u034f",
    "variation selectors": "\ufe0f\ufe0e",
    "mongolian vowel separator": "\u180e",
    "tag characters": "\U000e0020\U000e0041",
    "line and paragraph separators": "\u2028\u2029",
    "mixed with ordinary whitespace": " \u200b\n\t\u00a0\ufeff\u2060 ",
}

#: Each a real body whose invisible characters belong to it and must be kept.
KEPT_BODIES = {
    "family emoji (ZWJ sequence)": "\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "rainbow flag (ZWJ and variation selector)": "\U0001f3f3\ufe0f\u200d\U0001f308",
    "persian word with ZWNJ": "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
    "red heart with variation selector": "\u2764\ufe0f",
}


@pytest.mark.parametrize("body", BLANK_BODIES.values(), ids=BLANK_BODIES.keys())
def test_post_of_an_invisible_body_is_422_on_body(api: Api, body: str) -> None:
    response = api.post(body)
    error = assert_error(response, 422, "validation_failed", {"body"})
    assert error["error"]["fields"]["body"] == "Write something first."
    assert api.thread().get_json()["comments"] == []


@pytest.mark.parametrize("body", BLANK_BODIES.values(), ids=BLANK_BODIES.keys())
def test_edit_to_an_invisible_body_is_422_on_body(api: Api, body: str) -> None:
    posted = api.post("first words").get_json()
    url = f"/api/v1/sites/{api.site}/comments/{posted['comment']['id']}"
    response = api.client.patch(url, json={"body": body},
                                headers={"X-Edit-Token": posted["edit_token"]})
    assert_error(response, 422, "validation_failed", {"body"})
    assert api.client.get(url).get_json()["comment"]["body_html"] == "<p>first words</p>"


@pytest.mark.parametrize("body", KEPT_BODIES.values(), ids=KEPT_BODIES.keys())
def test_joiners_inside_words_are_stored_as_typed(api: Api, body: str) -> None:
    response = api.post(body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["comment"]["body_html"] == f"<p>{body}</p>"
    [stored] = api.thread().get_json()["comments"]
    assert stored["body_html"] == f"<p>{body}</p>"


@pytest.mark.parametrize("body", KEPT_BODIES.values(), ids=KEPT_BODIES.keys())
def test_edit_keeps_joiners_inside_words(api: Api, body: str) -> None:
    posted = api.post("first words").get_json()
    url = f"/api/v1/sites/{api.site}/comments/{posted['comment']['id']}"
    response = api.client.patch(url, json={"body": f"edited {body}"},
                                headers={"X-Edit-Token": posted["edit_token"]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["comment"]["body_html"] == f"<p>edited {body}</p>"
