"""api/openapi.py: the OpenAPI document matches the app's real routes, both ways."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from pydantic import BaseModel

from comments_service.api.openapi import build_document, documented
from comments_service.config import MAX_ROW_ID, ROW_ID_DIGITS, digits_up_to
from comments_service.schemas.moderation import BulkActionIn, SiteModerationIn


def _routes(app: Flask) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
                found.add((path, method.lower()))
    return found


def test_document_is_served_and_is_openapi_3_1(client) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    assert document["paths"]


def test_every_route_is_documented_and_every_documented_route_exists(app, client) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    documented_ops = {
        (path, method) for path, item in document["paths"].items() for method in item
    }
    assert documented_ops == _routes(app)


def test_every_schema_reference_resolves(client) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    text = str(document)
    for name in re.findall(r"#/components/schemas/(\w+)", text):
        assert name in document["components"]["schemas"], name


def test_write_operations_declare_their_body_and_errors(client) -> None:
    post = client.get("/api/v1/openapi.json").get_json()["paths"][
        "/sites/{site_slug}/comments"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/NewComment")
    assert {"201", "415", "422", "429"} <= set(post["responses"])


def test_a_route_without_description_breaks_the_document(app: Flask) -> None:
    app.add_url_rule("/api/v1/undocumented", "undocumented", lambda: "x")
    with pytest.raises(LookupError, match="undocumented"):
        build_document(app)


def test_documented_attaches_the_operation(app: Flask) -> None:
    class Out(BaseModel):
        ok: bool

    @documented("A test route.", responses={200: Out})
    def view() -> str:
        return "x"

    app.add_url_rule("/api/v1/extra", "extra", view)
    assert "/extra" in build_document(app)["paths"]


def test_feeds_are_documented_as_atom_and_the_preview_as_json(client) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/sites/{site_slug}/feed.atom", "/sites/{site_slug}/thread/feed.atom"):
        ok = paths[path]["get"]["responses"]["200"]
        assert list(ok["content"]) == ["application/atom+xml"]
        assert "304" in paths[path]["get"]["responses"]
    preview = paths["/sites/{site_slug}/preview"]["post"]
    assert preview["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/PreviewIn")
    assert {"200", "415", "422", "429"} <= set(preview["responses"])


def test_row_id_regex_matches_exactly_the_numbers_up_to_the_bound() -> None:
    pattern = re.compile(f"^{ROW_ID_DIGITS}$")
    for number in [0, 1, 9, 10, 99, 1_000_000, 2_147_483_646, MAX_ROW_ID]:
        assert pattern.match(str(number)), number
    for text in [str(MAX_ROW_ID + 1), "2147483650", "3000000000", "99999999999", "01", "-1"]:
        assert not pattern.match(text), text
    assert re.fullmatch(digits_up_to(305), "299")
    assert not re.fullmatch(digits_up_to(305), "306")


def test_document_bounds_ids_and_names_the_event_stream_and_414(client) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    vote = paths["/sites/{site_slug}/comments/{comment_id}/vote"]["delete"]
    comment_id = next(p for p in vote["parameters"] if p["name"] == "comment_id")
    assert comment_id["schema"] == {"type": "integer", "minimum": 1, "maximum": MAX_ROW_ID}
    assert "414" in vote["responses"]
    events = paths["/sites/{site_slug}/thread/events"]["get"]["responses"]["200"]["content"]
    assert set(events) == {"application/json", "text/event-stream"}


def test_document_carries_the_configured_lengths(make_app) -> None:
    app = make_app(comments={"max_body_chars": 123}, passages={"context_chars": 7})
    schemas = app.test_client().get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert schemas["NewComment"]["properties"]["body"]["maxLength"] == 123
    suffix = schemas["AnchorIn"]["properties"]["suffix"]
    assert suffix["maxLength"] == 7


def test_whole_floats_count_as_integers_in_request_bodies() -> None:
    assert SiteModerationIn.model_validate_json('{"flag_threshold": 3.0}',
                                                strict=True).flag_threshold == 3
    assert BulkActionIn.model_validate_json('{"action": "hide", "comment_ids": [2.0]}',
                                            strict=True).comment_ids == [2]
    with pytest.raises(ValueError, match="integer"):
        BulkActionIn.model_validate_json('{"action": "hide", "comment_ids": [2.5]}',
                                         strict=True)
