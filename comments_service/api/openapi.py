"""The OpenAPI 3.1 document, built from the app's real routes and their schema models.

Each view declares its query, body and response models with ``@documented``;
the document walks ``app.url_map``, so a route without a declaration, or a
declaration without a route, cannot go unnoticed (a test checks both ways).
Written here rather than with spectree/flask-openapi3 because those impose
their own validation-error bodies, and every error here has one shape.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Flask, Response, current_app, jsonify
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from comments_service.api import api
from comments_service.api.openapi_bounds import apply_settings_bounds
from comments_service.config import MAX_ROW_ID
from comments_service.schemas import ErrorOut

F = TypeVar("F", bound=Callable[..., Any])

API_PREFIX = "/api/v1"
_CONVERTER = re.compile(r"<(?:(?P<conv>[a-z]+):)?(?P<name>\w+)>")


@dataclass(frozen=True)
class HeaderParam:
    name: str
    description: str
    required: bool = False
    # The JSON Schema of the value, when narrower than any string.
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})


@dataclass(frozen=True)
class Operation:
    summary: str
    responses: dict[int, type[BaseModel] | None]
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    headers: tuple[HeaderParam, ...] = ()
    errors: tuple[int, ...] = ()
    tags: tuple[str, ...] = field(default_factory=tuple)
    # Other media types of the 2xx answer than JSON: media type -> schema of one item
    # (for text/event-stream, of one event: its event, data, id and retry fields; for
    # an Atom feed, a string).
    streams: dict[str, dict[str, Any]] = field(default_factory=dict)


def documented(
    summary: str,
    *,
    responses: dict[int, type[BaseModel] | None],
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    headers: tuple[HeaderParam, ...] = (),
    errors: tuple[int, ...] = (),
    tags: tuple[str, ...] = (),
    streams: dict[str, dict[str, Any]] | None = None,
) -> Callable[[F], F]:
    """Attach an operation's description to a view function."""

    def decorate(view: F) -> F:
        view.__openapi__ = Operation(  # type: ignore[attr-defined]
            summary, responses, query, body, headers, errors, tags, streams or {}
        )
        return view

    return decorate


_ERROR_TEXT = {
    400: "Malformed request (bad JSON, query parameter or cursor).",
    401: "No valid moderator token (Authorization: Bearer).",
    403: "Not allowed (origin, edit token, banned author, not your site, or down votes "
         "on a site that takes up votes only).",
    404: "No such site, comment, thread or ban.",
    409: "Conflict with the current state (locked thread, edit window passed, already "
         "flagged, action does not apply, notifications off, duplicate comment, deleted "
         "comment, this address's votes on the comment used up).",
    413: "Request body too large.",
    414: "URL longer than [server] max_url_bytes (any operation).",
    415: "Body is not application/json.",
    422: "Fields failed validation (see error.fields), or the comment was refused as "
    "spam (spam_rejected).",
    429: "Rate limited; see Retry-After.",
    503: "Briefly unavailable (database, limit storage, or no free live-stream slot); "
         "see Retry-After.",
}


def _openapi_path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    params: list[dict[str, Any]] = []

    def replace(match: re.Match[str]) -> str:
        schema: dict[str, Any] = {"type": "string"}
        if match.group("conv") == "int":
            # app.RowIdConverter: ids of rows; any other number is an unknown URL (404).
            schema = {"type": "integer", "minimum": 1, "maximum": MAX_ROW_ID}
        params.append(
            {"name": match.group("name"), "in": "path", "required": True, "schema": schema}
        )
        return "{" + match.group("name") + "}"

    return _CONVERTER.sub(replace, rule), params


def _query_params(model: type[BaseModel], schemas: dict[str, Any]) -> list[dict[str, Any]]:
    props = schemas[model.__name__]["properties"]
    required = set(schemas[model.__name__].get("required", []))
    params = []
    for name, info in model.model_fields.items():
        param: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": props[name],
        }
        if info.description:
            param["description"] = info.description
        if typing.get_origin(info.annotation) is list:
            param["style"] = "form"
            param["explode"] = True
        params.append(param)
    return params


def _operations(app: Flask) -> list[tuple[str, str, Operation]]:
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX):
            continue
        view = app.view_functions[rule.endpoint]
        operation: Operation | None = getattr(view, "__openapi__", None)
        if operation is None:
            raise LookupError(f"route {rule.rule} has no @documented description")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.rule, method.lower(), operation))
    return found


def build_document(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every /api/v1 route of `app`."""
    operations = _operations(app)
    # Responses as they are sent (serialization: a field's output name), requests as they
    # are read (validation: the names and aliases taken).
    answers: set[type[BaseModel]] = {ErrorOut}
    asked: set[type[BaseModel]] = set()
    for _, _, op in operations:
        answers.update(m for m in op.responses.values() if m is not None)
        asked.update(m for m in (op.query, op.body) if m is not None)
    wanted = [(m, "serialization") for m in sorted(answers, key=lambda m: m.__name__)]
    wanted += [(m, "validation") for m in sorted(asked, key=lambda m: m.__name__)]
    refs, top = models_json_schema(wanted, ref_template="#/components/schemas/{model}")
    schemas: dict[str, Any] = top.get("$defs", {})

    def ref(model: type[BaseModel], mode: str) -> dict[str, str]:
        return dict(refs[(model, mode)])  # type: ignore[index]

    settings = app.extensions.get("comments_settings")
    if settings is not None:
        apply_settings_bounds(schemas, settings)

    paths: dict[str, dict[str, Any]] = {}
    for rule, method, op in operations:
        path, params = _openapi_path(rule.removeprefix(API_PREFIX))
        if op.query is not None:
            params += _query_params(op.query, schemas)
        params += [
            {"name": h.name, "in": "header", "required": h.required,
             "description": h.description, "schema": dict(h.schema)}
            for h in op.headers
        ]
        responses: dict[str, Any] = {}
        for status, model in op.responses.items():
            entry: dict[str, Any] = {"description": "OK" if status < 300 else "Not modified"}
            if model is not None:
                entry["content"] = {
                    "application/json": {
                        "schema": ref(model, "serialization")
                    }
                }
            if status < 300 and op.streams:
                entry.setdefault("content", {}).update(
                    {media: {"schema": schema} for media, schema in op.streams.items()})
            responses[str(status)] = entry
        for status in (*op.errors, 414):
            responses[str(status)] = {
                "description": _ERROR_TEXT[status],
                "content": {"application/json": {
                    "schema": ref(ErrorOut, "serialization")}},
            }
        operation: dict[str, Any] = {
            "summary": op.summary,
            "operationId": f"{method}_{re.sub(r'[^a-z0-9]+', '_', path.lower()).strip('_')}",
            "parameters": params,
            "responses": responses,
        }
        if op.tags:
            operation["tags"] = list(op.tags)
        if op.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {
                    "schema": ref(op.body, "validation")}},
            }
        paths.setdefault(path, {})[method] = operation

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "comments_service",
            "version": "1",
            "description": "Threaded comments for any article page. Every error has the "
            "shape {\"error\": {\"code\", \"message\", \"fields\"}}.",
        },
        "servers": [{"url": API_PREFIX}],
        "paths": paths,
        "components": {"schemas": schemas},
    }


class OpenApiDocument(BaseModel):
    """The OpenAPI document itself (free-form JSON)."""

    model_config = {"extra": "allow"}


@api.get("/openapi.json")
@documented("This document.", responses={200: OpenApiDocument}, tags=("meta",))
def openapi_document() -> Response:
    document = current_app.extensions.get("comments_openapi")
    if document is None:
        document = build_document(current_app)  # type: ignore[arg-type]
        current_app.extensions["comments_openapi"] = document
    return jsonify(document)
