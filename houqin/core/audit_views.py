"""The auditor's pages: the change trail (AuditEntry) and the security events, each with filters,
pages of 50 rows and a CSV export.

Reading needs core.view_auditentry / core.view_securityevent; exporting also needs
core.export_data, and every export is itself recorded as a security event."""

import csv
import datetime
import json
from collections import defaultdict

import django_filters
from django import forms
from django.apps import apps
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from houqin.core.audit import record_security_event
from houqin.core.generic import bootstrap_form, detail_url, render_page_or_fragment
from houqin.core.models import AuditAction, AuditEntry, SecurityEvent, SecurityEventKind

PER_PAGE = 50
EXPORT_PERMISSION = "core.export_data"


# ---------------------------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------------------------


def _day_start(day: datetime.date) -> datetime.datetime:
    """Midnight of a day in the site's time zone: date filters mean the site's calendar days."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class PeriodForm(forms.Form):
    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class PeriodFilterSet(django_filters.FilterSet):
    date_from = django_filters.DateFilter(label=gettext_lazy("from"), method="filter_date_from")
    date_to = django_filters.DateFilter(label=gettext_lazy("to"), method="filter_date_to")

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(time__gte=_day_start(value))

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(time__lt=_day_start(value + datetime.timedelta(days=1)))


def _audited_content_types():
    """Object types offered by the filter: houqin's models and roles (auth groups)."""
    houqin_apps = {c.label for c in apps.get_app_configs() if c.name.startswith("houqin.")} | {"auth"}
    types = [ct for ct in ContentType.objects.filter(app_label__in=houqin_apps) if ct.model_class() is not None]
    return sorted(((ct.pk, capfirst(ct.model_class()._meta.verbose_name)) for ct in types), key=lambda c: str(c[1]))


class AuditEntryFilterSet(PeriodFilterSet):
    content_type = django_filters.ChoiceFilter(label=gettext_lazy("object type"), empty_label=gettext_lazy("any type"))
    object = django_filters.CharFilter(label=gettext_lazy("object id or name"), method="filter_object")
    user = django_filters.CharFilter(label=gettext_lazy("user"), method="filter_user")
    action = django_filters.ChoiceFilter(
        label=gettext_lazy("action"), choices=AuditAction.choices, empty_label=gettext_lazy("any action")
    )

    class Meta:
        model = AuditEntry
        fields = ["content_type", "object", "user", "action", "date_from", "date_to"]
        form = PeriodForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["content_type"].extra["choices"] = _audited_content_types

    def filter_object(self, queryset, name, value):
        """The object's id, or a part of its name as it was when changed."""
        value = value.strip()
        return queryset.filter(Q(object_repr__icontains=value) | Q(object_id=value[:64]))

    def filter_user(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(actor_name__icontains=value)
            | Q(actor__first_name__icontains=value)
            | Q(actor__last_name__icontains=value)
        )


class SecurityEventFilterSet(PeriodFilterSet):
    kind = django_filters.ChoiceFilter(
        label=gettext_lazy("event"), choices=SecurityEventKind.choices, empty_label=gettext_lazy("any event")
    )
    username = django_filters.CharFilter(label=gettext_lazy("user name"), lookup_expr="icontains")
    ip_address = django_filters.CharFilter(
        label=gettext_lazy("IP address"), method="filter_ip", widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )

    class Meta:
        model = SecurityEvent
        fields = ["kind", "username", "ip_address", "date_from", "date_to"]
        form = PeriodForm

    def filter_ip(self, queryset, name, value):
        """A whole address, or its beginning (“10.2.” for a subnet)."""
        return queryset.filter(ip_address__startswith=value.strip())


# ---------------------------------------------------------------------------------------------
# Showing changes
# ---------------------------------------------------------------------------------------------


def field_label(model, name: str) -> str:
    """A changed field's verbose name; reverse relations by the related model's name."""
    if model is not None:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            pass
        else:
            label = getattr(field, "verbose_name", None) or field.related_model._meta.verbose_name
            return capfirst(label)
    return capfirst(name.replace("_", " "))


def show(value) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(show(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def change_rows(model, changes: dict) -> list[dict]:
    """Each changed field as label, before, after; for lists (roles, trades, permissions) also
    what was added and removed, which reads better than two long lists."""
    rows = []
    for name, pair in sorted((changes or {}).items()):
        before, after = (list(pair) + [None, None])[:2] if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        row = {
            "label": field_label(model, name),
            "before": show(before),
            "after": show(after),
            "added": None,
            "removed": None,
        }
        if isinstance(before, list) and isinstance(after, list):
            row["added"] = [show(v) for v in after if v not in before]
            row["removed"] = [show(v) for v in before if v not in after]
        rows.append(row)
    return rows


def changes_text(model, changes: dict) -> str:
    return "; ".join(f"{r['label']}: {r['before']} → {r['after']}" for r in change_rows(model, changes))


def object_urls(entries, user) -> dict[tuple[int, str], str]:
    """(content type id, object id) → the object's page, for the objects the user may see.

    One query per object type on the page, through the model's access scope, so an object
    outside the viewer's scope (or deleted) gets no link."""
    wanted: dict[int, set[str]] = defaultdict(set)
    types = {}
    for entry in entries:
        wanted[entry.content_type_id].add(entry.object_id)
        types[entry.content_type_id] = entry.content_type
    urls = {}
    for ct_id, ids in wanted.items():
        ct = types[ct_id]
        model = ct.model_class()
        if model is None or not user.has_perm(f"{ct.app_label}.view_{ct.model}"):
            continue
        pks = []
        for raw in ids:
            try:
                pks.append(model._meta.pk.to_python(raw))
            except ValidationError:
                continue
        manager = model._default_manager
        queryset = manager.for_user(user) if hasattr(manager, "for_user") else manager.all()
        for obj in queryset.filter(pk__in=pks):
            url = obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else detail_url(obj, user)
            if url:
                urls[(ct_id, str(obj.pk))] = url
    return urls


# Keys the services put into SecurityEvent.detail, in words the auditor reads.
DETAIL_LABELS = {
    "target": gettext_lazy("account"),
    "roles": gettext_lazy("roles"),
    "before": gettext_lazy("before"),
    "after": gettext_lazy("after"),
    "role": gettext_lazy("role"),
    "added": gettext_lazy("added"),
    "removed": gettext_lazy("removed"),
    "reset": gettext_lazy("reset by an administrator"),
    "token": gettext_lazy("token"),
    "name": gettext_lazy("name"),
    "hint": gettext_lazy("key starts with"),
    "expires_at": gettext_lazy("expires"),
    "by": gettext_lazy("by"),
    "list": gettext_lazy("list"),
    "format": gettext_lazy("format"),
    "rows": gettext_lazy("rows"),
    "filters": gettext_lazy("filters"),
}


def detail_rows(detail: dict) -> list[tuple[str, str]]:
    return [
        (str(DETAIL_LABELS.get(key, key.replace("_", " "))), show(value))
        for key, value in sorted((detail or {}).items())
    ]


# ---------------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------------


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _filtered(filterset_class, request, queryset):
    filterset = filterset_class(request.GET, queryset=queryset)
    qs = filterset.qs if filterset.is_valid() else queryset.none()
    return filterset, qs


@login_required
@permission_required("core.view_auditentry", raise_exception=True)
@require_safe
def audit_list(request):
    """Every change to every object, newest first."""
    queryset = AuditEntry.objects.select_related("actor", "content_type")
    filterset, qs = _filtered(AuditEntryFilterSet, request, queryset)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    entries = list(page.object_list)
    urls = object_urls(entries, request.user)
    rows = [
        {
            "entry": entry,
            "type": capfirst(entry.content_type.model_class()._meta.verbose_name)
            if entry.content_type.model_class()
            else entry.content_type.model,
            "url": urls.get((entry.content_type_id, entry.object_id)),
            "changes": change_rows(entry.content_type.model_class(), entry.changes),
        }
        for entry in entries
    ]
    context = {
        "title": _("Audit trail"),
        "filterset": filterset,
        "filter_form": bootstrap_form(filterset.form, small=True),
        "page_obj": page,
        "rows": rows,
        "query": _query_without_page(request),
        "can_export": request.user.has_perm(EXPORT_PERMISSION),
    }
    return render_page_or_fragment(request, "core/audit_list.html", context, fragment="core/audit_list.html#results")


@login_required
@permission_required("core.view_securityevent", raise_exception=True)
@require_safe
def security_event_list(request):
    """Logins, failures, lockouts, rights changes, tokens and exports, newest first."""
    filterset, qs = _filtered(SecurityEventFilterSet, request, SecurityEvent.objects.all())
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "title": _("Security events"),
        "filterset": filterset,
        "filter_form": bootstrap_form(filterset.form, small=True),
        "page_obj": page,
        "rows": [{"event": event, "detail": detail_rows(event.detail)} for event in page.object_list],
        "query": _query_without_page(request),
        "can_export": request.user.has_perm(EXPORT_PERMISSION),
    }
    return render_page_or_fragment(
        request, "core/audit_security_events.html", context, fragment="core/audit_security_events.html#results"
    )


# ---------------------------------------------------------------------------------------------
# CSV export
# ---------------------------------------------------------------------------------------------


class _Echo:
    def write(self, value):
        return value


def safe_cell(value) -> str:
    """Text a spreadsheet shows as text: a leading =, +, -, @ would start a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_response(filename: str, header: list, rows) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"  # BOM: Excel then reads the file as UTF-8 (Chinese names)
        yield writer.writerow([str(h) for h in header])
        for row in rows:
            yield writer.writerow([safe_cell(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


def _check_export(request) -> None:
    if not request.user.has_perm(EXPORT_PERMISSION):
        raise PermissionDenied


def _record_export(request, list_name: str, count: int) -> None:
    filters = {key: value for key, value in request.GET.items() if value and key != "page"}
    record_security_event(
        SecurityEventKind.EXPORT,
        user=request.user,
        detail={"list": list_name, "format": "csv", "rows": count, "filters": filters},
    )


def _local(time: datetime.datetime) -> str:
    return timezone.localtime(time).strftime("%Y-%m-%d %H:%M:%S")


@login_required
@permission_required("core.view_auditentry", raise_exception=True)
@require_safe
def audit_export(request):
    _check_export(request)
    filterset, qs = _filtered(AuditEntryFilterSet, request, AuditEntry.objects.select_related("content_type"))
    _record_export(request, "audit_trail", qs.count())
    header = [
        _("time"),
        _("user"),
        _("IP address"),
        _("action"),
        _("object type"),
        _("object id"),
        _("object"),
        _("changes"),
        _("note"),
    ]

    def rows():
        for entry in qs.iterator(chunk_size=2000):
            model = entry.content_type.model_class()
            yield [
                _local(entry.time),
                entry.actor_name,
                entry.ip_address or "",
                entry.get_action_display(),
                model._meta.verbose_name if model else entry.content_type.model,
                entry.object_id,
                entry.object_repr,
                changes_text(model, entry.changes),
                entry.note,
            ]

    return _csv_response("audit-trail", header, rows())


@login_required
@permission_required("core.view_securityevent", raise_exception=True)
@require_safe
def security_event_export(request):
    _check_export(request)
    filterset, qs = _filtered(SecurityEventFilterSet, request, SecurityEvent.objects.all())
    # Counted before this export's own event is written, which then appears in the next export.
    _record_export(request, "security_events", qs.count())
    header = [_("time"), _("event"), _("user name"), _("IP address"), _("detail")]

    def rows():
        for event in qs.iterator(chunk_size=2000):
            yield [
                _local(event.time),
                event.get_kind_display(),
                event.username,
                event.ip_address or "",
                json.dumps(event.detail, ensure_ascii=False, sort_keys=True) if event.detail else "",
            ]

    return _csv_response("security-events", header, rows())
