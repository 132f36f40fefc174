import datetime

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from houqin.notifications.models import EVENT_CHOICES, TEST, ChannelConfig, ChannelKind, OutboxMessage, OutboxStatus


class ChannelConfigFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("search"))
    kind = django_filters.ChoiceFilter(choices=ChannelKind.choices, label=_("kind"))
    enabled = django_filters.BooleanFilter(label=_("enabled"))

    class Meta:
        model = ChannelConfig
        fields = ["kind", "enabled"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(url__icontains=value)) if value else queryset


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class OutboxFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OutboxStatus.choices, label=_("status"), empty_label=_("any status"))
    kind = django_filters.ChoiceFilter(choices=ChannelKind.choices, label=_("kind"), empty_label=_("any kind"))
    event = django_filters.ChoiceFilter(
        choices=[*EVENT_CHOICES, (TEST, _("test message"))], label=_("event"), empty_label=_("any event")
    )
    q = django_filters.CharFilter(method="filter_q", label=_("order, recipient or channel"))
    date_from = django_filters.DateFilter(label=_("from"), method="filter_date_from")
    date_to = django_filters.DateFilter(label=_("to"), method="filter_date_to")

    class Meta:
        model = OutboxMessage
        fields = ["status", "kind", "event", "q", "date_from", "date_to"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(order__number__icontains=value) | Q(recipient__icontains=value) | Q(channel_name__icontains=value)
        )

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(created__gte=_day_start(value))

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(created__lt=_day_start(value + datetime.timedelta(days=1)))
