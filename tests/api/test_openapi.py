"""api/openapi.py: the OpenAPI document matches the app's real routes, both ways."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from pydantic import BaseModel

from comments_service.api.openapi import build_document, documented


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
