"""Thin generic pages for every model described by a ModelSpec: list, detail, create/edit and delete.

An app's views.py subclasses these with its spec, its columns and, where useful, related lists;
urls.py stays explicit. Every view checks the model permission of its action (403 without it) and
reads objects through spec.queryset_for(user), so anything outside the user's scope answers 404."""

import copy
import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models import F
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views import View
from django_filters.filters import BooleanFilter, MultipleChoiceFilter

from houqin.core.audit import history_for
from houqin.core.exceptions import ConflictError, InUseError
from houqin.core.filters import RefFilter
from houqin.core.services import delete_object, save_form
from houqin.core.specs import ModelSpec, all_specs
from houqin.core.widgets import PickerWidget

RESULTS_TARGET = "hq-results"  # id of the element that holds a list's table, pager and count
FILTER_FORM_ID = "hq-filter"
PER_PAGE_DEFAULT = 25
PER_PAGE_MAX = 200
PER_PAGE_CHOICES = (25, 50, 100, 200)
# A foreign-key filter becomes a drop-down of the rows the user may see, up to this many.
FILTER_SELECT_MAX = 300
ACTION_COLOURS = {"create": "green", "update": "blue", "delete": "red", "move": "purple", "import": "grey"}
EMPTY = mark_safe('<span class="text-body-tertiary">—</span>')


# ---------------------------------------------------------------------------------------------
# Specs and URLs
# ---------------------------------------------------------------------------------------------


def spec_for_model(model) -> ModelSpec | None:
    for spec in all_specs():
        if spec.model is model or spec.model._meta.concrete_model is model._meta.concrete_model:
            return spec
    return None


def reverse_or_none(name: str, **kwargs) -> str | None:
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def detail_url(obj, user=None) -> str | None:
    """The object's detail page, or None when it has none or the user may not view that model."""
    spec = spec_for_model(type(obj))
    if spec is None or (user is not None and not user.has_perm(spec.perm("view"))):
        return None
    return reverse_or_none(spec.url_name("detail"), pk=obj.pk)


def link_to(obj, user) -> str:
    url = detail_url(obj, user)
    if url is None:
        return format_html("{}", obj)
    return format_html('<a href="{}">{}</a>', url, obj)


# ---------------------------------------------------------------------------------------------
# Showing values: one set of rules for table cells and detail pages
# ---------------------------------------------------------------------------------------------


def resolve_field(model, accessor: str):
    """The model field an accessor such as "person.company" ends on, or None."""
    field_obj = None
    for part in accessor.split("."):
        if model is None:
            return None
        try:
            field_obj = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        model = field_obj.related_model if field_obj.is_relation else None
    return field_obj


def resolve_value(obj, accessor: str):
    value = obj
    for part in accessor.split("."):
        if value is None:
            return None
        value = getattr(value, part, None)
        if callable(value) and not isinstance(value, models.Manager):
            value = value()
    if isinstance(value, models.Manager):
        value = list(value.all())
    return value


def field_label(model, accessor: str) -> str:
    field_obj = resolve_field(model, accessor)
    if field_obj is not None and hasattr(field_obj, "verbose_name"):
        return capfirst(field_obj.verbose_name)
    return capfirst(accessor.split(".")[-1].replace("_", " "))


def yes_no(value: bool, *, words: bool = False) -> str:
    """A tick or a dash in tables; with words=True (detail pages) also the word."""
    if words:
        icon = "check-circle-fill text-success" if value else "dash-circle text-body-tertiary"
        return format_html('<i class="bi bi-{}" aria-hidden="true"></i> {}', icon, _("Yes") if value else _("No"))
    if value:
        return format_html(
            '<i class="bi bi-check-lg text-success" aria-hidden="true"></i><span class="visually-hidden">{}</span>',
            _("Yes"),
        )
    return format_html(
        '<span class="text-body-tertiary" aria-hidden="true">–</span><span class="visually-hidden">{}</span>', _("No")
    )


def show_value(
    value,
    *,
    user,
    field_obj=None,
    kind: str = "auto",
    badges: dict | None = None,
    links: bool = True,
    words: bool = False,
) -> str:
    """HTML for one value: related objects as links to their pages, choices by label (as coloured
    badges when colours are given), booleans as a tick, dates in ISO order, nothing as a dash."""
    if kind == "bool" or isinstance(value, bool):
        return yes_no(bool(value), words=words)
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, models.Model):
        return link_to(value, user) if links else format_html("{}", value)
    if isinstance(value, (list, tuple, models.QuerySet)):
        # Each item on one line; a long list wraps between items.
        items = [
            format_html('<span class="text-nowrap">{}</span>', show_value(v, user=user, links=links)) for v in value
        ]
        return mark_safe(", ".join(items))
    choices = getattr(field_obj, "flatchoices", None) if field_obj is not None else None
    if choices or kind == "badge":
        label = dict(choices or ()).get(value, value)
        if kind == "badge" or badges:
            return format_html('<span class="hq-badge-{}">{}</span>', (badges or {}).get(value, "grey"), label)
        return format_html("{}", label)
    if isinstance(value, datetime.datetime):
        return format_html('<span class="hq-nowrap">{}</span>', timezone.localtime(value).strftime("%Y-%m-%d %H:%M"))
    if isinstance(value, datetime.date):
        return format_html('<span class="hq-nowrap">{}</span>', value.isoformat())
    return format_html("{}", value)


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a list table.

    accessor: attribute path on the row ("company", "person.company", "trades", "get_x_display");
    label: header, by default the field's verbose name; sort: a key of spec.sortable;
    link: the cell links to the row's detail page; kind: "auto", "badge" or "bool";
    badges: choice value → colour (green, blue, orange, yellow, red, grey, purple);
    css: extra cell classes ("num"); wrap: let long text wrap (cells stay on one line otherwise, since
    Chinese text would break after any character); render: (row, user) → HTML, overrides the rest."""

    accessor: str
    label: str | None = None
    sort: str | None = None
    link: bool = False
    kind: str = "auto"
    badges: dict | None = None
    css: str = ""
    wrap: bool = False
    render: Callable | None = None


@dataclass
class Cell:
    html: str
    css: str


@dataclass
class Header:
    label: str
    css: str
    sort_value: str | None  # the ?sort= value a click asks for, None when not sortable
    direction: str  # "asc", "desc" or "" (not the current sort)


@dataclass
class Row:
    obj: models.Model
    cells: list
    edit_url: str | None
    inactive: bool


class Table:
    """Columns applied to one page of rows; cells are rendered here so the template stays plain."""

    def __init__(
        self, spec: ModelSpec, columns: Sequence[Column], rows, *, user, sort: str = "", sortable=None, row_actions=True
    ):
        self.spec = spec
        self.columns = list(columns)
        self.user = user
        self.sort = sort
        self.sortable = set(spec.sortable if sortable is None else sortable)
        self.model = spec.model
        self.can_change = row_actions and user.has_perm(spec.perm("change"))
        self.rows = [self._row(obj) for obj in rows]
        self.headers = [self._header(col) for col in self.columns]

    def _header(self, col: Column) -> Header:
        label = capfirst(col.label) if col.label is not None else field_label(self.model, col.accessor)
        if not col.sort or col.sort not in self.sortable:
            return Header(str(label), col.css, None, "")
        if self.sort == col.sort:
            return Header(str(label), col.css, f"-{col.sort}", "asc")
        if self.sort == f"-{col.sort}":
            return Header(str(label), col.css, col.sort, "desc")
        return Header(str(label), col.css, col.sort, "")

    def _cell(self, obj, col: Column, url: str | None, inactive_badge: bool) -> Cell:
        if col.render is not None:
            html = col.render(obj, self.user)
        else:
            value = resolve_value(obj, col.accessor)
            field_obj = resolve_field(self.model, col.accessor)
            html = show_value(value, user=self.user, field_obj=field_obj, kind=col.kind, badges=col.badges)
        if col.link and url:
            html = format_html('<a href="{}" class="fw-medium">{}</a>', url, html)
        if inactive_badge and getattr(obj, "is_active", True) is False:
            html = format_html('{} <span class="hq-badge-grey">{}</span>', html, _("inactive"))
        return Cell(html, f"{col.css} {'hq-wrap' if col.wrap else 'hq-nowrap'}".strip())

    def _row(self, obj) -> Row:
        url = reverse_or_none(self.spec.url_name("detail"), pk=obj.pk)
        # An inactive row says so after its last linked cell (usually the name).
        link_columns = [c for c in self.columns if c.link]
        badge_column = link_columns[-1] if link_columns else None
        cells = [self._cell(obj, col, url, col is badge_column) for col in self.columns]
        edit_url = reverse_or_none(self.spec.url_name("edit"), pk=obj.pk) if self.can_change else None
        return Row(obj, cells, edit_url, getattr(obj, "is_active", True) is False)


# ---------------------------------------------------------------------------------------------
# Forms: Bootstrap look for edit forms and the compact filter bar
# ---------------------------------------------------------------------------------------------


def _add_class(widget, css: str) -> None:
    classes = widget.attrs.get("class", "").split()
    for name in css.split():
        if name not in classes:
            classes.append(name)
    widget.attrs["class"] = " ".join(classes)


def _picker_usable(widget) -> bool:
    return reverse_or_none(widget.url_name) is not None


def widget_kind(widget) -> str:
    if isinstance(widget, PickerWidget):
        return "picker"
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.SelectMultiple):
        return "multiselect"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.HiddenInput):
        return "hidden"
    return "input"


def bootstrap_form(form, *, small: bool = False):
    """Give every widget its Bootstrap class and mark fields with errors; returns the form.

    Each field gets `hq_kind`, which the form-field include uses to lay it out."""
    errors = form.errors if form.is_bound else {}
    for name, form_field in form.fields.items():
        widget = form_field.widget
        if isinstance(widget, PickerWidget):
            if not _picker_usable(widget):
                # The picker's search endpoint is not installed: a code or id typed by hand still works.
                widget = form_field.widget = forms.TextInput(attrs={"placeholder": _("Code or id")})
            elif widget.choices_queryset is None:
                widget.choices_queryset = getattr(form_field, "queryset", None)
        if isinstance(form_field, forms.DateField) and type(widget) is forms.DateInput and widget.input_type != "date":
            widget = form_field.widget = forms.DateInput(attrs={**widget.attrs, "type": "date"}, format="%Y-%m-%d")
        kind = widget_kind(widget)
        form_field.hq_kind = kind
        if kind in ("checkbox", "checkboxes", "radios"):
            _add_class(widget, "form-check-input")
        elif kind in ("select", "multiselect"):
            _add_class(widget, "form-select form-select-sm" if small else "form-select")
        elif kind == "input":
            _add_class(widget, "form-control form-control-sm" if small else "form-control")
        if name in errors:
            _add_class(widget, "is-invalid")
            widget.attrs["aria-invalid"] = "true"
    return form


def _scoped_rows(ref_model, user):
    manager = ref_model._default_manager
    return manager.for_user(user) if hasattr(manager, "for_user") else manager.all()


def _ref_choices(ref_model, user):
    """(value, label) for a foreign-key filter, or None when there are too many rows for a drop-down."""
    qs = _scoped_rows(ref_model, user)
    code_field = getattr(ref_model, "code_field", None)
    rows = list(qs[: FILTER_SELECT_MAX + 1])
    if len(rows) > FILTER_SELECT_MAX:
        return None
    return [(getattr(obj, code_field) if code_field else obj.pk, str(obj)) for obj in rows]


def filter_form_for(filterset, *, user, widgets: dict | None = None, fields: Sequence[str] | None = None):
    """The FilterSet's form made compact for a one- or two-line bar: drop-downs whose first option
    names the filter (small foreign keys, booleans), pickers for big foreign keys, check-box menus
    for multiple choices.

    Returns (form, visible field names, hidden (name, value) pairs for filters not on the bar)."""
    form = filterset.form
    widgets = widgets or {}
    if fields is None:
        # Every filter, the rarely used "active" last.
        fields = sorted(form.fields, key=lambda name: name == "is_active")
    visible = [name for name in fields if name in form.fields and name != "q"]
    for name, flt in filterset.filters.items():
        form_field = form.fields.get(name)
        if form_field is None:
            continue
        label = capfirst(form_field.label or name)
        if name in widgets:
            form_field.widget = copy.deepcopy(widgets[name])
            if isinstance(form_field.widget, PickerWidget):
                # The chosen row's name only from the rows the user may see (a code typed into
                # the address must not reveal another company's person).
                form_field.widget.choices_queryset = (
                    _scoped_rows(flt.ref_model, user) if isinstance(flt, RefFilter) else None
                )
        elif isinstance(flt, RefFilter) and name in visible:
            choices = _ref_choices(flt.ref_model, user)
            if choices is not None:
                form_field.widget = forms.Select(choices=[("", _("%(filter)s: all") % {"filter": label}), *choices])
        elif isinstance(flt, BooleanFilter):
            form_field.widget = forms.Select(
                choices=[
                    ("", _("%(filter)s: any") % {"filter": label}),
                    ("true", _("%(filter)s: yes") % {"filter": label}),
                    ("false", _("%(filter)s: no") % {"filter": label}),
                ]
            )
        elif isinstance(flt, MultipleChoiceFilter):
            form_field.widget = forms.CheckboxSelectMultiple(choices=form_field.choices)
        form_field.widget.attrs.setdefault("aria-label", label)
    bootstrap_form(form, small=True)
    hidden = []
    data = filterset.data or {}
    for name in form.fields:
        if name in visible or name == "q":
            continue
        for value in data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]:
            if value not in (None, ""):
                hidden.append((name, value))
    return form, visible, hidden


# ---------------------------------------------------------------------------------------------
# HTMX
# ---------------------------------------------------------------------------------------------


def wants_fragment(request, target: str = RESULTS_TARGET) -> bool:
    """Whether htmx asks to refresh only the element with id `target`."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and htmx.target == target and not htmx.history_restore_request


def render_page_or_fragment(request, template, context, *, fragment: str, target: str = RESULTS_TARGET):
    """Render the whole page, or only `fragment` (a partial, "t.html#name") when htmx asks to
    refresh the element with id `target`; the fragment gets is_fragment=True in its context."""
    is_fragment = wants_fragment(request, target)
    response = render(request, fragment if is_fragment else template, {**context, "is_fragment": is_fragment})
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


# ---------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Related:
    """A list of other records on a detail page, e.g. a team's members.

    lookup: filter from the related model to the object ("team", "teams" for many-to-many);
    list_filter: the list page filter showing the same rows (a "View all" link), with the object's
    code or id; add_param: initial value name for an "Add" link, e.g. a certificate's "person"."""

    title: str
    spec: ModelSpec
    lookup: str
    columns: Sequence[Column]
    list_filter: str | None = None
    add_param: str | None = None
    add_label: str | None = None
    extra_filter: dict = field(default_factory=dict)
    limit: int = 10


@dataclass(frozen=True)
class PageAction:
    """An extra button on a page header, shown when the URL exists and the user holds `permission`."""

    label: str
    url_name: str
    permission: str = ""
    icon: str = ""
    with_pk: bool = True
    query: str = ""


class SpecView(View):
    spec: ModelSpec = None
    action = "view"
    template_suffix = ""
    default_template = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.has_perm(self.spec.perm(self.permission_action())):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def permission_action(self) -> str:
        return self.action

    @property
    def opts(self):
        return self.spec.model._meta

    def get_template_names(self) -> list[str]:
        return [f"{self.spec.app_label}/{self.spec.slug}_{self.template_suffix}.html", self.default_template]

    def get_object(self):
        return get_object_or_404(self.spec.queryset_for(self.request.user), pk=self.kwargs["pk"])

    def can(self, action: str) -> bool:
        return self.request.user.has_perm(self.spec.perm(action))

    def url(self, action: str, obj=None) -> str | None:
        return reverse_or_none(self.spec.url_name(action), **({"pk": obj.pk} if obj is not None else {}))

    def base_context(self, obj=None) -> dict:
        list_url = self.url("list")
        crumbs = [{"label": _("Home"), "url": reverse_or_none("core:home")}]
        crumbs.append({"label": capfirst(self.opts.verbose_name_plural), "url": list_url})
        if obj is not None:
            crumbs.append({"label": str(obj), "url": self.url("detail", obj)})
        return {
            "spec": self.spec,
            "opts": self.opts,
            "verbose_name": self.opts.verbose_name,
            "verbose_name_plural": capfirst(self.opts.verbose_name_plural),
            "list_url": list_url,
            "breadcrumbs": crumbs,
            "object": obj,
        }

    def page_actions(self, actions: Sequence[PageAction], obj=None) -> list[dict]:
        result = []
        for action in actions:
            if action.permission and not self.request.user.has_perm(action.permission):
                continue
            url = reverse_or_none(action.url_name, **({"pk": obj.pk} if obj is not None and action.with_pk else {}))
            if url:
                result.append({"label": action.label, "url": url + action.query, "icon": action.icon})
        return result


class ObjectListView(SpecView):
    """The list page: filter bar, search, sortable columns, pages, export links."""

    action = "view"
    template_suffix = "list"
    default_template = "core/object_list.html"
    fragment = "core/object_list.html#results"
    columns: Sequence[Column] = ()
    default_sort = ""
    # Filters shown on the bar (None: all of the FilterSet's), and widgets replacing the defaults.
    filter_fields: Sequence[str] | None = None
    filter_widgets: dict = {}
    # Quick views above the table: (label, query string).
    presets: Sequence[tuple[str, str]] = ()
    actions: Sequence[PageAction] = ()
    title = None

    def get_queryset(self):
        return self.spec.queryset_for(self.request.user)

    def get_filter_widgets(self) -> dict:
        return dict(self.filter_widgets)

    def requested_sort(self) -> str:
        """The ?sort= value when it names a sortable key; unknown keys are ignored."""
        sort = self.request.GET.get("sort", "").strip()
        key = sort[1:] if sort.startswith("-") else sort
        return sort if key and key in self.spec.sortable else ""

    def order(self, qs, sort: str):
        if not sort:
            # Aggregating annotations drop the model's default ordering; pages need a stable one.
            return qs if qs.ordered else qs.order_by(*(self.opts.ordering or ("pk",)))
        key = sort.lstrip("-")
        expr = F(key).desc(nulls_last=True) if sort.startswith("-") else F(key).asc(nulls_last=True)
        return qs.order_by(expr, "pk")

    def per_page(self) -> int:
        try:
            value = int(self.request.GET.get("per_page", PER_PAGE_DEFAULT))
        except (TypeError, ValueError):
            return PER_PAGE_DEFAULT
        return max(1, min(PER_PAGE_MAX, value))

    def transfer_links(self) -> dict:
        user = self.request.user
        spec = self.spec
        params = self.request.GET.copy()
        for name in ("page", "per_page", "format"):
            params.pop(name, None)
        links = {"export": [], "import_url": None, "templates": []}
        if user.has_perm(spec.perm("view")) and user.has_perm("core.export_data"):
            export_url = reverse_or_none(spec.url_name("export"))
            if export_url:
                for fmt, label in (("xlsx", _("Excel (.xlsx)")), ("csv", _("CSV (.csv)"))):
                    params["format"] = fmt
                    links["export"].append({"label": label, "url": f"{export_url}?{params.urlencode()}"})
        if user.has_perm(spec.perm("add")) and user.has_perm(spec.perm("change")):
            links["import_url"] = reverse_or_none(spec.url_name("import"))
            template_url = reverse_or_none(spec.url_name("template"))
            if template_url:
                for fmt, label in (("xlsx", _("Template (.xlsx)")), ("csv", _("Template (.csv)"))):
                    links["templates"].append({"label": label, "url": f"{template_url}?format={fmt}"})
        return links

    def get(self, request, *args, **kwargs):
        user = request.user
        filterset = self.spec.filterset_class(request.GET, queryset=self.get_queryset(), request=request)
        filters_valid = filterset.is_valid()
        qs = filterset.qs if filters_valid else filterset.queryset.none()
        requested_sort = self.requested_sort()
        sort = requested_sort or self.default_sort
        qs = self.order(qs, sort)
        per_page = self.per_page()
        paginator = Paginator(qs, per_page)
        page = paginator.get_page(request.GET.get("page"))
        form, visible, hidden = filter_form_for(
            filterset, user=user, widgets=self.get_filter_widgets(), fields=self.filter_fields
        )
        active_filters = any(v for name, values in filterset.data.lists() if name in filterset.filters for v in values)
        table = Table(self.spec, self.columns, page.object_list, user=user, sort=sort)
        current_query = request.GET.urlencode()
        context = {
            **self.base_context(),
            "title": self.title or capfirst(self.opts.verbose_name_plural),
            "filterset": filterset,
            "filter_form": form,
            "filter_fields": [form[name] for name in visible],
            "filter_hidden": hidden,
            "filters_valid": filters_valid,
            "filter_errors": [(form.fields[n].label or n, errs) for n, errs in form.errors.items()]
            if not filters_valid
            else [],
            "has_search": "q" in filterset.filters,
            "search_value": request.GET.get("q", ""),
            "active_filters": active_filters,
            "table": table,
            "page_obj": page,
            "paginator": paginator,
            "page_range": list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)),
            "sort": requested_sort,
            "per_page": per_page,
            "per_page_choices": PER_PAGE_CHOICES,
            "per_page_explicit": "per_page" in request.GET,
            "results_target": RESULTS_TARGET,
            "filter_form_id": FILTER_FORM_ID,
            "presets": [
                {"label": label, "query": query, "active": current_query == query} for label, query in self.presets
            ],
            "add_url": self.url("add") if self.can("add") else None,
            "transfer": self.transfer_links(),
            "page_actions": self.page_actions(self.actions),
        }
        return render_page_or_fragment(request, self.get_template_names(), context, fragment=self.fragment)


class ObjectDetailView(SpecView):
    """One object: its fields, related lists, its change history and the actions the user may take."""

    action = "view"
    template_suffix = "detail"
    default_template = "core/object_detail.html"
    # Accessors shown, in order; default: the form's fields.
    fields: Sequence[str] | None = None
    # Extra (label, callable(obj, user) → HTML) rows after the fields.
    extra_fields: Sequence[tuple[str, Callable]] = ()
    related: Sequence[Related] = ()
    actions: Sequence[PageAction] = ()
    # Templates included in the main column before the related lists (cards an app adds).
    includes: Sequence[str] = ()
    history_permission = "core.view_auditentry"  # the change trail is the auditor's to read
    history_limit = 50

    def field_rows(self, obj) -> list[dict]:
        user = self.request.user
        names = (
            self.fields if self.fields is not None else list(getattr(self.spec.form_class._meta, "fields", None) or [])
        )
        rows = []
        for accessor in names:
            field_obj = resolve_field(self.spec.model, accessor)
            value = resolve_value(obj, accessor)
            kind = "bool" if isinstance(field_obj, models.BooleanField) else "auto"
            rows.append(
                {
                    "label": field_label(self.spec.model, accessor),
                    "value": show_value(value, user=user, field_obj=field_obj, kind=kind, words=True),
                }
            )
        for label, func in self.extra_fields:
            rows.append({"label": label, "value": func(obj, user)})
        return rows

    def related_lists(self, obj) -> list[dict]:
        user = self.request.user
        result = []
        for rel in self.related:
            if not user.has_perm(rel.spec.perm("view")):
                continue
            qs = rel.spec.queryset_for(user).filter(**{rel.lookup: obj}, **rel.extra_filter)
            total = qs.count()
            rows = list(qs[: rel.limit])
            list_url = None
            if rel.list_filter:
                base = reverse_or_none(rel.spec.url_name("list"))
                code = getattr(obj, "business_code", None) or obj.pk
                list_url = f"{base}?{urlencode({rel.list_filter: code})}" if base else None
            add_url = None
            if rel.add_param and user.has_perm(rel.spec.perm("add")):
                base = reverse_or_none(rel.spec.url_name("add"))
                add_url = f"{base}?{rel.add_param}={obj.pk}" if base else None
            result.append(
                {
                    "title": rel.title,
                    "table": Table(rel.spec, rel.columns, rows, user=user, sortable=(), row_actions=False),
                    "total": total,
                    "more": total > len(rows),
                    "list_url": list_url,
                    "add_url": add_url,
                    "add_label": rel.add_label or _("Add"),
                }
            )
        return result

    def history(self, obj) -> list[dict] | None:
        if not self.request.user.has_perm(self.history_permission):
            return None
        entries = []
        for entry in history_for(obj)[: self.history_limit]:
            changes = []
            for name, pair in sorted((entry.changes or {}).items()):
                before, after = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
                changes.append(
                    {"label": field_label(self.spec.model, name), "before": _plain(before), "after": _plain(after)}
                )
            entries.append({"entry": entry, "changes": changes, "colour": ACTION_COLOURS.get(entry.action, "grey")})
        return entries

    def get(self, request, *args, **kwargs):
        obj = self.get_object()
        context = {
            **self.base_context(obj),
            "title": str(obj),
            "field_rows": self.field_rows(obj),
            "related_lists": self.related_lists(obj),
            "history": self.history(obj),
            "edit_url": self.url("edit", obj) if self.can("change") else None,
            "delete_url": self.url("delete", obj) if self.can("delete") else None,
            "page_actions": self.page_actions(self.actions, obj),
            "includes": self.includes,
            "can_change": self.can("change"),
            **self.get_extra_context(obj),
        }
        context["breadcrumbs"][-1]["url"] = None
        return render(request, self.get_template_names(), context)

    def get_extra_context(self, obj) -> dict:
        return {}


def _plain(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


class ObjectEditView(SpecView):
    """Create (no pk in the URL) or edit; the form validates, save_form writes and audits."""

    template_suffix = "form"
    default_template = "core/object_form.html"

    def permission_action(self) -> str:
        return "change" if "pk" in self.kwargs else "add"

    def get_instance(self):
        return self.get_object() if "pk" in self.kwargs else None

    def get_initial(self) -> dict:
        """Initial values from the query string (e.g. ?person=12 from a person's page)."""
        form_fields = self.spec.form_class.base_fields
        return {name: value for name, value in self.request.GET.items() if name in form_fields}

    def get_form(self, instance):
        kwargs = {"instance": instance, "user": self.request.user}
        if self.request.method == "POST":
            return self.spec.form_class(self.request.POST, self.request.FILES or None, **kwargs)
        return self.spec.form_class(initial=self.get_initial() if instance is None else None, **kwargs)

    def render_form(self, form, instance, status=200):
        creating = instance is None
        context = {
            **self.base_context(instance),
            "form": bootstrap_form(form),
            "creating": creating,
            "title": _("Add %(model)s") % {"model": self.opts.verbose_name}
            if creating
            else _("Edit %(object)s") % {"object": instance},
            "cancel_url": self.url("detail", instance) if instance is not None else self.url("list"),
            "can_add_another": creating,
        }
        context["breadcrumbs"].append({"label": _("Add") if creating else _("Edit"), "url": None})
        return render(self.request, self.get_template_names(), context, status=status)

    def get(self, request, *args, **kwargs):
        instance = self.get_instance()
        return self.render_form(self.get_form(instance), instance)

    def post(self, request, *args, **kwargs):
        instance = self.get_instance()
        form = self.get_form(instance)
        if not form.is_valid():
            return self.render_form(form, instance)
        # A model may have its own save service (a location's new parent moves its subtree).
        save = self.spec.extra.get("save", save_form)
        try:
            obj = save(form, by=request.user)
        except ValidationError as exc:
            _add_errors(form, exc)
            return self.render_form(form, instance)
        except ConflictError as exc:
            form.add_error(None, str(exc))
            return self.render_form(form, instance, status=409)
        if instance is None:
            messages.success(
                request,
                _("%(model)s “%(object)s” was created.") % {"model": capfirst(self.opts.verbose_name), "object": obj},
            )
        else:
            messages.success(request, _("Changes to “%(object)s” were saved.") % {"object": obj})
        if instance is None and "_addanother" in request.POST:
            return HttpResponseRedirect(self.url("add"))
        return HttpResponseRedirect(self.url("detail", obj) or self.url("list"))


class ObjectDeleteView(SpecView):
    """GET asks for confirmation; POST deletes, or refuses when other records still use the object."""

    action = "delete"
    template_suffix = "confirm_delete"
    default_template = "core/object_confirm_delete.html"

    def get(self, request, *args, **kwargs):
        obj = self.get_object()
        context = {
            **self.base_context(obj),
            "title": _("Delete %(object)s") % {"object": obj},
            "cancel_url": self.url("detail", obj),
        }
        context["breadcrumbs"].append({"label": _("Delete"), "url": None})
        return render(request, self.get_template_names(), context)

    def post(self, request, *args, **kwargs):
        obj = self.get_object()
        label = str(obj)
        try:
            delete_object(obj, by=request.user)
        except InUseError as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(self.url("detail", obj) or self.url("list"))
        messages.success(
            request,
            _("%(model)s “%(object)s” was deleted.") % {"model": capfirst(self.opts.verbose_name), "object": label},
        )
        return HttpResponseRedirect(self.url("list") or reverse("core:home"))


__all__ = [
    "Column",
    "ObjectDeleteView",
    "ObjectDetailView",
    "ObjectEditView",
    "ObjectListView",
    "PageAction",
    "Related",
    "Table",
    "bootstrap_form",
    "detail_url",
    "filter_form_for",
    "link_to",
    "render_page_or_fragment",
    "show_value",
    "spec_for_model",
]


def _add_errors(form, error: ValidationError) -> None:
    """A service's ValidationError shown on the form: on the field it names when the form has it."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, texts in error.message_dict.items():
        form.add_error(name if name in form.fields else None, texts)
