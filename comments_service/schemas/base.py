"""Shared by every schema module: strict models, row ids, the error shape, times."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

from comments_service.config import (
    MAX_ROW_ID,
)


def _whole_number(value: Any) -> Any:
    """3.0 as 3: JSON does not tell them apart, and JSON Schema calls both integers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# Integer fields of requests: whole floats pass (strict parsing refuses them). The
# validator comes last so the bounds stay on the integer and in the JSON Schema.
WholeNumber = BeforeValidator(_whole_number)
# Row ids are 32-bit integers in the schema (PostgreSQL int4): a larger number can name
# no row, and must be refused as a bad field rather than reach the database.
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID), WholeNumber]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(StrictModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    code: str
    message: str
    fields: dict[str, str]


class ErrorOut(StrictModel):
    error: ErrorDetail


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


_AS_ISO = PlainSerializer(iso, return_type=str, when_used="json")

IsoTime = Annotated[datetime, _AS_ISO]
"""A time sent as ISO 8601 in UTC with "Z", as every response writes it (the moderator
API's shapes: the OpenAPI document calls it a string)."""

DateTimeOut = Annotated[
    datetime, _AS_ISO,
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]
"""The same time, documented as a date-time (the public shapes have always said so)."""


class OutModel(StrictModel):
    """A response shape that also reads a service's dataclass by its attributes.

    The shape is defined once, here: ``dump(result)`` validates the service's
    value against it and gives the JSON-ready dict the view sends. A field whose
    attribute has another name says so with ``validation_alias`` (the JSON name
    stays accepted too).
    """

    model_config = ConfigDict(extra="forbid", from_attributes=True, populate_by_name=True)

    @classmethod
    def dump(cls, source: object) -> dict[str, Any]:
        """The JSON-ready response for ``source``: a service's dataclass, or a dict of them."""
        return cls.model_validate(source).model_dump(mode="json")
