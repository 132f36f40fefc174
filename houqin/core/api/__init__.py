"""The public REST API at /api/v1/ (the contract: docs/api.md): authentication, one error format,
pagination, idempotent creation, and generic CRUD endpoints driven by a ModelSpec.

Apps contribute routers without core importing them: an app's `api.py` calls
`register_router("locations", router)` when imported, and build_api() imports the `api` module of
every houqin app before mounting what was registered (like the admin's autodiscovery).

The pieces, one module each: auth (token and session), errors (the error format), schemas (Ref,
LocalDateTime, ErrorOut), lists (filters, sort, pages), idempotency, crud (register_crud)."""

from importlib import import_module

from django.apps import apps
from django.utils.module_loading import module_has_submodule
from ninja import NinjaAPI, Router

from houqin.core.api.auth import SessionAuth, TokenAuth, require_perm
from houqin.core.api.crud import get_in_scope, input_schemas, register_crud, validated_save
from houqin.core.api.errors import HouqinAPI, InvalidInput, UnicodeJSONRenderer, install_error_handlers, json_response
from houqin.core.api.idempotency import idempotency_key_header, idempotent, purge_idempotency_records
from houqin.core.api.lists import filter_parameters, filtered, paginate
from houqin.core.api.schemas import CleanStr, ErrorOut, LocalDateTime, Ref, RefValue, errors_for, page_schema

_routers: list[tuple[str, Router]] = []


def register_router(prefix: str, router: Router) -> Router:
    """Mount router at /api/v1/<prefix>; called by an app's api module when it is imported."""
    if not any(existing is router for _prefix, existing in _routers):
        _routers.append((prefix, router))
    return router


def _discover_app_apis() -> None:
    for app_config in apps.get_app_configs():
        if app_config.name.startswith("houqin.") and module_has_submodule(app_config.module, "api"):
            import_module(f"{app_config.name}.api")


DESCRIPTION = """The houqin REST API. JSON in and out; see docs/api.md for authentication, paging,
filters, the error format and idempotent creation. Wherever an id is accepted, the business code
(location code, employee number, …) is accepted too."""


def build_api() -> NinjaAPI:
    """The NinjaAPI served at /api/v1/, with every app's registered routers."""
    api = HouqinAPI(
        title="houqin API",
        version="1",
        description=DESCRIPTION,
        urls_namespace="api",
        docs_url="/docs",
        openapi_url="/openapi.json",
        auth=[TokenAuth(), SessionAuth()],
        renderer=UnicodeJSONRenderer(),
    )
    install_error_handlers(api)
    _discover_app_apis()
    for prefix, router in _routers:
        api.add_router(prefix, router)
    return api


__all__ = [
    "CleanStr",
    "ErrorOut",
    "InvalidInput",
    "LocalDateTime",
    "Ref",
    "RefValue",
    "SessionAuth",
    "TokenAuth",
    "build_api",
    "errors_for",
    "filter_parameters",
    "filtered",
    "get_in_scope",
    "idempotency_key_header",
    "idempotent",
    "input_schemas",
    "json_response",
    "page_schema",
    "paginate",
    "purge_idempotency_records",
    "register_crud",
    "register_router",
    "require_perm",
    "validated_save",
]
