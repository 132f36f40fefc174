"""The work-order filters, shared by the desk's list pages and the API's query parameters."""

import datetime

import django_filters
from django import forms
from django.db.models import Q, Value
from django.db.models.functions import Replace
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from houqin.core.filters import RefFilter, SubtreeFilter
from houqin.core.refs import ref_lookup
from houqin.org.models import Department, Person, Site, Team
from houqin.org.services import normalize_phone
from houqin.servicedesk.models import OPEN_STATUSES, Channel, Priority, ServiceCategory, Status, WorkOrder

# Free-text search looks at this many words at most.
MAX_SEARCH_WORDS = 5


def overdue_q(now: datetime.datetime) -> Q:
    """Open orders past a deadline not met yet, or already flagged as breached. An order on hold
    whose category stops the clock is not overdue while it waits (its deadlines move on resume)."""
    running = ~Q(status=Status.ON_HOLD, category__hold_excluded=True)
    past_pending = (
        Q(dispatched_at__isnull=True, response_due__lt=now)
        | Q(arrived_at__isnull=True, arrival_due__lt=now)
        | Q(completion_due__lt=now)
    )
    return Q(status__in=OPEN_STATUSES) & (Q(breached=True) | (running & past_pending))


def is_overdue(order: WorkOrder, now: datetime.datetime) -> bool:
    """overdue_q() for one order already in memory (needs its category)."""
    if order.status not in OPEN_STATUSES:
        return False
    if order.breached:
        return True
    if order.status == Status.ON_HOLD and order.category.hold_excluded:
        return False
    pending = [order.completion_due]
    if order.dispatched_at is None:
        pending.append(order.response_due)
    if order.arrived_at is None:
        pending.append(order.arrival_due)
    return any(due is not None and due < now for due in pending)


class DateOrDateTimeField(forms.CharField):
    """A date ("2026-03-01": that day in the site's zone) or a date-time ("2026-03-01T09:30",
    with or without offset; without one, in the site's zone). Cleans to (aware datetime, is_date)."""

    default_error_messages = {
        "invalid": _("Enter a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM, optionally with an offset).")
    }

    def to_python(self, value):
        text = super().to_python(value).strip()
        if not text:
            return None
        try:
            moment = parse_datetime(text.replace(" ", "T", 1)) if ("T" in text or " " in text) else None
            day = None if moment is not None else parse_date(text)
        except ValueError:
            moment = day = None
        if moment is not None:
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment, timezone.get_default_timezone())
            return moment, False
        if day is not None:
            start = datetime.datetime.combine(day, datetime.time.min)
            return timezone.make_aware(start, timezone.get_default_timezone()), True
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class CreatedFilter(django_filters.Filter):
    """created_after (inclusive) / created_before (a date includes that whole day; a time is exclusive)."""

    field_class = DateOrDateTimeField

    def __init__(self, *args, before: bool = False, **kwargs):
        self.before = before
        super().__init__(*args, field_name="created", **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        moment, is_date = value
        if not self.before:
            return qs.filter(created__gte=moment)
        if is_date:
            next_day = datetime.datetime.combine(moment.date() + datetime.timedelta(days=1), datetime.time.min)
            return qs.filter(created__lt=timezone.make_aware(next_day, moment.tzinfo))
        return qs.filter(created__lt=moment)


class CategoryFilter(RefFilter):
    """A category by id or code; a group (维修) also finds the orders of its sub-categories."""

    def __init__(self, *args, **kwargs):
        super().__init__(ServiceCategory, *args, **kwargs)

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        cond = ref_lookup(ServiceCategory, value)
        if cond is None:
            return qs.none()
        chosen = ServiceCategory.objects.filter(cond).values("pk")
        return qs.filter(Q(category__in=chosen) | Q(category__parent__in=chosen))


class SiteFilter(RefFilter):
    """The order's site: its location's, else (without a location) its department's."""

    def __init__(self, *args, **kwargs):
        super().__init__(Site, *args, **kwargs)

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        cond = ref_lookup(Site, value)
        if cond is None:
            return qs.none()
        chosen = Site.objects.filter(cond).values("pk")
        return qs.filter(Q(location__site__in=chosen) | Q(location__isnull=True, department__site__in=chosen))


class WorkOrderFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, label=_("status"))
    category = CategoryFilter(label=_("category"))
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, label=_("priority"))
    department = RefFilter(Department, label=_("department"))
    team = RefFilter(Team, label=_("team"))
    assignee = RefFilter(Person, label=_("assignee"))
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices, label=_("channel"))
    location = SubtreeFilter(field_name="location", label=_("within location"))
    site = SiteFilter(label=_("site"))
    created_after = CreatedFilter(label=_("created on or after"))
    created_before = CreatedFilter(before=True, label=_("created before"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("overdue"))
    q = django_filters.CharFilter(method="filter_q", label=_("search"), max_length=200)

    class Meta:
        model = WorkOrder
        fields = []

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        cond = overdue_q(timezone.now())
        return queryset.filter(cond) if value else queryset.exclude(cond)

    def filter_q(self, queryset, name, value):
        """Every word must match the number, the description, the requester's name or phone
        (phones compared without separators or +86, so "+86 139 0000 1111" finds "139-0000-1111")."""
        text = (value or "").strip()
        # A phone number typed with spaces ("+86 139 0000 1111") is one term, not several words.
        words = [text] if normalize_phone(text).isdigit() else text.split()[:MAX_SEARCH_WORDS]
        if any(normalize_phone(word).isdigit() for word in words):
            queryset = queryset.alias(bare_phone=without_separators("requester_phone"))
        for word in words:
            cond = Q(number__icontains=word) | Q(description__icontains=word) | Q(requester_name__icontains=word)
            digits = normalize_phone(word)
            if digits.isdigit():
                cond |= Q(bare_phone__contains=digits)
            queryset = queryset.filter(cond)
        return queryset


def without_separators(field: str):
    """The text field with spaces, dashes and brackets removed, for comparing phone numbers."""
    expression = field
    for separator in (" ", "-", "(", ")"):
        expression = Replace(expression, Value(separator), Value(""))
    return expression
