"""One error format for the whole API: `{"detail": "...", "errors": {"field": ["message"]}}`, with
messages in the request's language (Django's own form messages, so they are translated already)."""

import json
import logging
from typing import Any

from django import forms
from django.conf import settings
from django.core import validators
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, models
from django.http import Http404, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

from houqin.core.api.schemas import NON_FIELD
from houqin.core.exceptions import ConflictError, InUseError

logger = logging.getLogger(__name__)


class InvalidInput(Exception):
    """Bad input: answered 400 with the messages per field."""

    def __init__(self, errors: dict[str, list[str]], detail: str | None = None):
        self.errors = errors
        self.detail = detail
        super().__init__(errors)


def _message(error: dict) -> str:
    """A pydantic error as the message Django's own form fields give, in the active language."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    value = error.get("input")
    shown = str(value)[:60] if value is not None else ""
    try:
        if kind == "missing":
            return str(forms.Field.default_error_messages["required"])
        if kind in ("string_too_long", "too_long") and "max_length" in ctx:
            validators.MaxLengthValidator(ctx["max_length"])(value if isinstance(value, (str, list)) else "")
        if kind in ("string_too_short", "too_short") and "min_length" in ctx:
            if ctx["min_length"] == 1:
                return str(forms.Field.default_error_messages["required"])
            validators.MinLengthValidator(ctx["min_length"])(value if isinstance(value, (str, list)) else "")
        if kind == "less_than_equal":
            return str(validators.MaxValueValidator.message) % {"limit_value": ctx.get("le")}
        if kind == "greater_than_equal":
            return str(validators.MinValueValidator.message) % {"limit_value": ctx.get("ge")}
    except DjangoValidationError as exc:
        return exc.messages[0]
    if kind.startswith("int_"):
        return str(forms.IntegerField.default_error_messages["invalid"])
    if kind.startswith(("float_", "decimal_", "finite_number")):
        return str(forms.DecimalField.default_error_messages["invalid"])
    if kind.startswith("datetime_") or kind == "timezone_aware":
        return str(forms.DateTimeField.default_error_messages["invalid"])
    if kind.startswith("date_"):
        return str(forms.DateField.default_error_messages["invalid"])
    if kind.startswith("time_"):
        return str(forms.TimeField.default_error_messages["invalid"])
    if kind.startswith("bool_"):
        return str(models.BooleanField.default_error_messages["invalid"]) % {"value": shown}
    if kind in ("literal_error", "enum"):
        return str(forms.ChoiceField.default_error_messages["invalid_choice"]) % {"value": shown}
    if kind in ("list_type", "tuple_type", "set_type"):
        return str(forms.MultipleChoiceField.default_error_messages["invalid_list"])
    if kind == "null_characters":
        return str(validators.ProhibitNullCharactersValidator.message)
    if kind == "json_invalid":
        return str(forms.JSONField.default_error_messages["invalid"])
    return str(validators.RegexValidator.message)


def field_errors(errors: list[dict]) -> dict[str, list[str]]:
    """Ninja's validation errors keyed by the field or parameter name a client sent."""
    result: dict[str, list[str]] = {}
    for error in errors:
        loc = list(error.get("loc") or ())
        source = loc[0] if loc else ""
        # Body errors are located under the body parameter's name ("payload"); skip it.
        rest = loc[2:] if source == "body" else loc[1:]
        name = str(rest[0]) if rest else NON_FIELD
        message = _message(error) if rest or source != "body" else _("The request body must be a JSON object.")
        if message not in result.setdefault(name, []):
            result[name].append(message)
    return result


class HouqinAPI(NinjaAPI):
    def validation_error_from_error_contexts(self, error_contexts) -> NinjaValidationError:
        # Unlike Ninja's own, keeps the input: messages such as "at most 100 characters (it has 120)" need it.
        errors = []
        for context in error_contexts:
            model = context.model
            for item in context.pydantic_validation_error.errors(include_url=False):
                loc = (model.__ninja_param_source__,) + model.__ninja_flatten_map_reverse__.get(
                    item["loc"], item["loc"]
                )
                errors.append(
                    {"loc": loc, "type": item["type"], "ctx": item.get("ctx") or {}, "input": item.get("input")}
                )
        return NinjaValidationError(errors)

    def create_response(self, request, data, *, status=None, temporal_response=None) -> HttpResponse:
        response = super().create_response(request, data, status=status, temporal_response=temporal_response)
        # A token's user may prefer another language than the one the middleware chose.
        response["Content-Language"] = translation.get_language()
        return response


class UnicodeJSONRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


def json_response(data: Any, status: int = 200) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, cls=NinjaJSONEncoder, ensure_ascii=False),
        status=status,
        content_type="application/json; charset=utf-8",
    )
    response["Content-Language"] = translation.get_language()
    return response


def _error(request, status: int, detail, errors: dict | None = None) -> HttpResponse:
    return json_response({"detail": str(detail), "errors": errors or {}}, status=status)


def install_error_handlers(api: NinjaAPI) -> None:
    def on_validation_error(request, exc):
        return _error(request, 400, _("Invalid input."), field_errors(exc.errors))

    def on_invalid_input(request, exc):
        return _error(request, 400, exc.detail or _("Invalid input."), exc.errors)

    def on_django_validation_error(request, exc):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD: exc.messages}
        return _error(request, 400, _("Invalid input."), errors)

    def on_too_big(request, exc):
        limit = settings.HOUQIN_MAX_UPLOAD_BYTES
        return _error(request, 413, _("The request body is larger than %(limit)s bytes.") % {"limit": limit})

    def on_http_error(request, exc):
        cause = exc.__cause__
        if isinstance(cause, RequestDataTooBig):
            return on_too_big(request, cause)
        if exc.status_code == 400 and isinstance(cause, ValueError):  # JSONDecodeError, UnicodeDecodeError
            return _error(
                request,
                400,
                _("The request body is not valid JSON."),
                {NON_FIELD: [str(forms.JSONField.default_error_messages["invalid"])]},
            )
        if isinstance(exc, AuthenticationError):
            response = _error(
                request,
                401,
                _("Authentication required: log in, or send “Authorization: Bearer <token>” with a valid token."),
            )
            response["WWW-Authenticate"] = 'Bearer realm="api"'
            return response
        if isinstance(exc, Throttled):
            return _error(request, 429, _("Too many requests; slow down."))
        return _error(request, exc.status_code, exc.message)

    def on_not_found(request, exc):
        return _error(request, 404, _("Not found."))

    def on_permission_denied(request, exc):
        return _error(request, 403, str(exc) or _("You do not have permission to do this."))

    def on_conflict(request, exc):
        return _error(request, 409, str(exc))

    def on_integrity_error(request, exc):
        logger.info("API write refused by the database: %s", exc)
        return _error(
            request,
            409,
            _("The change conflicts with another record or a change made at the same moment; reload and try again."),
        )

    def on_out_of_range(request, exc):
        return _error(request, 400, _("A value is out of range."))

    api.add_exception_handler(NinjaValidationError, on_validation_error)
    api.add_exception_handler(InvalidInput, on_invalid_input)
    api.add_exception_handler(DjangoValidationError, on_django_validation_error)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(RequestDataTooBig, on_too_big)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(PermissionDenied, on_permission_denied)
    api.add_exception_handler(ConflictError, on_conflict)
    api.add_exception_handler(InUseError, on_conflict)
    api.add_exception_handler(IntegrityError, on_integrity_error)
    api.add_exception_handler(OverflowError, on_out_of_range)
    api.add_exception_handler(DataError, on_out_of_range)
