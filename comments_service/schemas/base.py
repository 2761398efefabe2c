"""Shared by every schema module: strict models, row ids, the error shape, times."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from comments_service.config import (
    MAX_ROW_ID,
)

# Row ids are 32-bit integers in the schema (PostgreSQL int4): a larger number can name
# no row, and must be refused as a bad field rather than reach the database.
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(StrictModel):
    code: str
    message: str
    fields: dict[str, str]


class ErrorOut(StrictModel):
    error: ErrorDetail


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def iso(value: datetime) -> str:
    return _iso(value) or ""
