"""Generic list/create/detail/replace/update/delete endpoints for a ModelSpec, validating through
the spec's form and saving through the audited services, exactly like the UI."""

import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django import forms
from django.db import transaction
from django.http import Http404
from django.utils import translation
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import BaseModel, ConfigDict, Field, create_model

from houqin.core.api.auth import require_perm
from houqin.core.api.errors import InvalidInput, json_response
from houqin.core.api.idempotency import idempotency_key_header, idempotent
from houqin.core.api.lists import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_OFFSET,
    filter_parameters,
    filtered,
    paginate,
    sort_parameter,
)
from houqin.core.api.schemas import CleanStr, RefValue, errors_for, page_schema
from houqin.core.refs import MAX_ID, resolve_ref
from houqin.core.services import delete_object, save_form
from houqin.core.specs import ModelSpec


def _choice_values(field) -> list[str]:
    values = []
    for value, label in field.choices:
        if isinstance(label, (list, tuple)):
            values.extend(str(v) for v, _label in label)
        elif value not in ("", None):
            values.append(str(value))
    return values


def _input_type(field: forms.Field) -> Any:
    """The JSON type a form field takes; the form itself still applies every rule."""
    # RefMultipleChoiceField and RefChoiceField (ids or codes) are among these.
    if isinstance(field, forms.ModelMultipleChoiceField):
        return list[RefValue]
    if isinstance(field, forms.ModelChoiceField):
        return RefValue
    if isinstance(field, (forms.BooleanField, forms.NullBooleanField)):
        return bool
    # DecimalField and FloatField are IntegerFields to Django: ask for them first.
    if isinstance(field, forms.DecimalField):
        return Decimal
    if isinstance(field, forms.FloatField):
        return float
    if isinstance(field, forms.IntegerField):
        low = field.min_value if field.min_value is not None else -MAX_ID
        high = field.max_value if field.max_value is not None else MAX_ID
        return Annotated[int, Field(ge=low, le=high)]
    if isinstance(field, forms.DateTimeField):
        return datetime.datetime
    if isinstance(field, forms.DateField):
        return datetime.date
    if isinstance(field, forms.TimeField):
        return datetime.time
    if isinstance(field, forms.MultipleChoiceField):
        return list[Literal[tuple(_choice_values(field))]]  # type: ignore[misc]
    if isinstance(field, forms.ChoiceField):
        values = _choice_values(field) + ([] if field.required else [""])
        return Literal[tuple(values)] if values else CleanStr  # type: ignore[misc]
    if isinstance(field, forms.CharField) and field.max_length:
        return Annotated[CleanStr, Field(max_length=field.max_length)]
    return CleanStr


class InputSchema(BaseModel):
    # Clients may send back what they read (id, created, path…): unknown fields are ignored.
    model_config = ConfigDict(extra="ignore")


def input_schemas(spec: ModelSpec, *, optional: tuple[str, ...] = ()) -> tuple[type[BaseModel], type[BaseModel]]:
    """(<Model>In, <Model>Patch) from the spec's form: every field optional to pydantic, so that
    the form decides what is required (and says so in the request's language); the In schema
    documents the fields a create or full update needs."""
    model = spec.model
    fields = {}
    required = []
    for name, field in spec.form_class.base_fields.items():
        description = str(field.label or name)
        if field.help_text:
            description += f" — {field.help_text}"
        fields[name] = (_input_type(field) | None, Field(None, description=description))
        if field.required and name not in optional and not _model_default(model, name)[0]:
            required.append(name)
    in_base = type(
        f"{model.__name__}InBase",
        (InputSchema,),
        {"model_config": ConfigDict(extra="ignore", json_schema_extra={"required": required})},
    )
    create_schema = create_model(f"{model.__name__}In", __base__=in_base, **fields)
    patch_schema = create_model(f"{model.__name__}Patch", __base__=InputSchema, **fields)
    return create_schema, patch_schema


def _model_default(model, name: str) -> tuple[bool, Any]:
    try:
        field = model._meta.get_field(name)
    except Exception:
        return False, None
    if getattr(field, "has_default", None) and field.has_default():
        return True, field.get_default()
    return False, None


def _stored_values(instance, form_class) -> dict[str, Any]:
    """The instance's current values as form data (ids for relations), for PATCH."""
    data = {}
    for name in form_class.base_fields:
        try:
            field = instance._meta.get_field(name)
        except Exception:
            continue
        if field.many_to_many:
            data[name] = [obj.pk for obj in getattr(instance, name).all()]
        elif field.is_relation:
            data[name] = getattr(instance, field.attname)
        else:
            data[name] = field.value_from_object(instance)
    return data


def _form_data(spec: ModelSpec, payload: BaseModel, instance=None) -> dict[str, Any]:
    given = payload.model_dump(exclude_unset=True)
    if instance is not None:
        return {**_stored_values(instance, spec.form_class), **given}
    data = {}
    # A form reads a missing checkbox as False; an API client leaving a field out means "the default".
    for name in spec.form_class.base_fields:
        has_default, default = _model_default(spec.model, name)
        if has_default and name not in given:
            data[name] = default
    return {**data, **given}


def validated_save(request, spec: ModelSpec, data: dict, instance=None):
    """Validate data through the spec's form (the same rules as the UI) and save with an audit row."""
    form = spec.form_class(data, instance=instance, user=request.user)
    if not form.is_valid():
        raise InvalidInput({name: list(messages) for name, messages in form.errors.items()})
    # A model whose saves need more than save_form names its service (a location's new parent).
    return spec.extra.get("save", save_form)(form, by=request.user)


def get_in_scope(request, spec: ModelSpec, ref: str, *, for_update: bool = False):
    """The object `ref` (id or code) names among those the caller may see, else 404.
    for_update locks the row (inside a transaction) so that a read-merge-write is not lost."""
    queryset = spec.queryset_for(request.user)
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    obj = resolve_ref(queryset, ref)
    if obj is None:
        raise Http404
    return obj


def register_crud(
    router: Router,
    spec: ModelSpec,
    *,
    out: type[Schema],
    optional: tuple[str, ...] = (),
    description: str = "",
) -> Router:
    """Add list, create, detail, replace, update and delete endpoints for spec to router.

    Reads go through spec.queryset_for(user) (scope: anything outside answers 404); writes
    validate through spec.form_class and save with save_form / delete_object, so the API keeps
    exactly the rules and audit trail of the UI. Permissions: the model's view/add/change/delete
    permissions (403 without them)."""
    # The schema is documentation: written in English, whatever language is active at start-up.
    with translation.override("en"):
        return _register_crud(router, spec, out=out, optional=optional, description=description)


def _register_crud(
    router: Router, spec: ModelSpec, *, out: type[Schema], optional: tuple[str, ...], description: str
) -> Router:
    create_schema, patch_schema = input_schemas(spec, optional=optional)
    page = page_schema(out)
    slug = spec.slug
    name = str(spec.model._meta.verbose_name)
    names = str(spec.model._meta.verbose_name_plural)
    code_field = getattr(spec.model, "code_field", None)
    ref_doc = f"id or {code_field}" if code_field else "id"

    def serialize(request, obj) -> dict:
        fresh = spec.queryset_for(request.user).filter(pk=obj.pk).first() or obj
        return out.from_orm(fresh).model_dump(mode="json")

    list_extra = {"parameters": [*filter_parameters(spec.filterset_class), sort_parameter(spec.sortable)]}

    @router.get(
        "",
        response={200: page, **errors_for(400, 401, 403)},
        operation_id=f"list_{slug}",
        url_name=f"{slug}_list",
        summary=f"List {names}",
        openapi_extra=list_extra,
        description=f"{names.capitalize()} the caller may see, narrowed by the filters below. {description}",
    )
    def list_objects(
        request,
        limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"page size, 1–{MAX_LIMIT}"),
        offset: int = Query(0, ge=0, le=MAX_OFFSET, description="how many to skip"),
    ):
        require_perm(request, spec, "view")
        return paginate(filtered(request, spec, spec.queryset_for(request.user)), limit, offset)

    @router.post(
        "",
        response={201: out, **errors_for(400, 401, 403, 409, 413)},
        operation_id=f"create_{slug}",
        url_name=f"{slug}_create",
        summary=f"Create a {name}",
        description=f"Validated by the same rules as the edit page; related objects by id or code. {description}",
    )
    def create_object(request, payload: create_schema, idempotency_key: str | None = idempotency_key_header()):
        require_perm(request, spec, "add")

        def create():
            obj = validated_save(request, spec, _form_data(spec, payload), spec.model())
            return 201, serialize(request, obj)

        return idempotent(request, idempotency_key, create)

    @router.get(
        "/{ref}",
        response={200: out, **errors_for(401, 403, 404)},
        operation_id=f"get_{slug}",
        url_name=f"{slug}_detail",
        summary=f"Get a {name}",
        description=f"`ref` is the {ref_doc}.",
    )
    def get_object(request, ref: str):
        require_perm(request, spec, "view")
        return Status(200, get_in_scope(request, spec, ref))

    def update(request, ref: str, payload: BaseModel, *, partial: bool):
        require_perm(request, spec, "change")
        with transaction.atomic():
            obj = get_in_scope(request, spec, ref, for_update=True)
            data = _form_data(spec, payload, obj) if partial else _form_data(spec, payload)
            obj = validated_save(request, spec, data, obj)
        return json_response(serialize(request, obj), 200)

    @router.put(
        "/{ref}",
        response={200: out, **errors_for(400, 401, 403, 404, 409, 413)},
        operation_id=f"replace_{slug}",
        url_name=f"{slug}_replace",
        summary=f"Replace a {name}",
    )
    def replace_object(request, ref: str, payload: create_schema):
        """Every field is set: a field left out takes its default (empty, or the model's default)."""
        return update(request, ref, payload, partial=False)

    @router.patch(
        "/{ref}",
        response={200: out, **errors_for(400, 401, 403, 404, 409, 413)},
        operation_id=f"update_{slug}",
        url_name=f"{slug}_update",
        summary=f"Update a {name}",
    )
    def update_object(request, ref: str, payload: patch_schema):
        """Only the fields given change; the result is validated as a whole, like the edit page."""
        return update(request, ref, payload, partial=True)

    @router.delete(
        "/{ref}",
        response={204: None, **errors_for(401, 403, 404, 409)},
        operation_id=f"delete_{slug}",
        url_name=f"{slug}_delete",
        summary=f"Delete a {name}",
    )
    def delete(request, ref: str):
        """409 while other records still use it: deactivate it instead (`is_active: false`)."""
        require_perm(request, spec, "delete")
        delete_object(get_in_scope(request, spec, ref), by=request.user)
        return Status(204, None)

    return router
