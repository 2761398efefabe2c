"""Turning a Flask request into a validated schema object, or an ApiError."""

from __future__ import annotations

import typing
from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError
from werkzeug.datastructures import MultiDict

from comments_service.errors import BadRequest, InvalidJson, UnsupportedMediaType, ValidationFailed

M = TypeVar("M", bound=BaseModel)


def _field_errors(error: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in error.errors(include_url=False, include_input=False):
        name = ".".join(str(part) for part in item["loc"]) or "body"
        message = "Unknown field." if item["type"] == "extra_forbidden" else item["msg"]
        fields.setdefault(name, message)
    return fields


def json_body(model: type[M]) -> M:
    """The request's JSON body as `model`.

    415 unless the body is declared application/json (a plain HTML form on another
    site cannot send that, so cross-site form posts stop here); 400 for malformed
    JSON or a non-object; 422 with one message per bad or unknown field.
    """
    if request.mimetype != "application/json":
        raise UnsupportedMediaType()
    raw = request.get_data(cache=False)
    try:
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        if any(item["type"] == "json_invalid" for item in errors):
            raise InvalidJson() from None
        if any(item["loc"] == () for item in errors):
            raise BadRequest("The JSON body must be an object.") from None
        raise ValidationFailed(fields=_field_errors(exc)) from None


def _is_list(annotation: Any) -> bool:
    return typing.get_origin(annotation) is list


def query_args(model: type[M]) -> M:
    """The query string as `model`; 400 with one message per bad or unknown parameter."""
    return args_as(model, request.args)


def args_as(model: type[M], args: MultiDict[str, str]) -> M:
    """Parsed query parameters as `model`, as ``query_args`` reads them; raises BadRequest."""
    data: dict[str, Any] = {}
    for name in args:
        field = model.model_fields.get(name)
        if field is not None and _is_list(field.annotation):
            data[name] = args.getlist(name)
        else:
            values = args.getlist(name)
            if len(values) > 1:
                raise BadRequest(fields={name: "Give this parameter once."})
            data[name] = values[0]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadRequest("Some query parameters are not valid.",
                         fields=_field_errors(exc)) from None
