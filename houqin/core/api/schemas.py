"""Schema pieces every API module uses: compact references, local time stamps, the error body."""

import datetime
from typing import Annotated

from django.utils import timezone
from ninja import Schema
from pydantic import AfterValidator, Field, PlainSerializer, create_model
from pydantic_core import PydanticCustomError

from houqin.core.refs import MAX_ID

# The key of errors that concern the whole object rather than one field (as in Django forms).
NON_FIELD = "__all__"


def _local_iso(value: datetime.datetime) -> str:
    return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()


# Time stamps in the site's zone with their offset, e.g. "2026-03-01T09:30:00+08:00".
LocalDateTime = Annotated[datetime.datetime, PlainSerializer(_local_iso, return_type=str, when_used="unless-none")]


def ref_name(obj) -> str:
    return str(getattr(obj, "name", None) or getattr(obj, "label", None) or obj)


class Ref(Schema):
    """A related object, compact: its id, business code and name."""

    id: int
    code: str
    name: str

    @staticmethod
    def resolve_code(obj) -> str:
        return str(getattr(obj, "business_code", None) or obj.pk)

    @staticmethod
    def resolve_name(obj) -> str:
        return ref_name(obj)


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = Field(
        default_factory=dict, description="field name → messages; `__all__` for the whole object"
    )


ERROR_RESPONSES = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut}


def errors_for(*codes: int) -> dict[int, type]:
    return {code: ERROR_RESPONSES[code] for code in codes}


def page_schema(item_schema: type) -> type:
    """`{"count": N, "items": [...]}` of item_schema."""
    return create_model(
        f"{item_schema.__name__}Page", __base__=Schema, count=(int, ...), items=(list[item_schema], ...)
    )


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("null_characters", "Null characters are not allowed.")
    return value


# Strings in request bodies: PostgreSQL refuses NUL characters, so they are refused up front.
CleanStr = Annotated[str, AfterValidator(_no_nul)]
RefValue = Annotated[
    Annotated[int, Field(ge=1, le=MAX_ID)] | Annotated[CleanStr, Field(min_length=1, max_length=200)],
    Field(description="id (number) or business code (string)"),
]
