"""Filter building blocks shared by every list page and API list endpoint."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from houqin.core.refs import ref_lookup


class RefFilter(django_filters.Filter):
    """Filter on a foreign key given by id or business code; repeat the parameter for several."""

    field_class = forms.CharField

    def __init__(self, model, *args, **kwargs):
        self.ref_model = model
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        cond = ref_lookup(self.ref_model, value)
        target = self.ref_model._default_manager.filter(cond).values("pk") if cond is not None else []
        qs = qs.filter(**{f"{self.field_name}__in": target})
        return qs.distinct() if self.distinct else qs


class SubtreeFilter(django_filters.Filter):
    """`location=<id or code>` means that location and everything under it."""

    field_class = forms.CharField

    def __init__(self, *args, field_name: str = "", **kwargs):
        # Empty field_name: the model itself is the location tree.
        super().__init__(*args, field_name=field_name or "pk", **kwargs)
        self.through = field_name

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        from django.apps import apps

        Location = apps.get_model("org", "Location")
        cond = ref_lookup(Location, value)
        root = Location.objects.filter(cond).only("tree_path").first() if cond is not None else None
        if root is None:
            return qs.none()
        prefix = f"{self.through}__tree_path__startswith" if self.through else "tree_path__startswith"
        return qs.filter(**{prefix: root.tree_path})


class MasterDataFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("search"))

    def filter_q(self, queryset, name, value):
        return queryset.search(value)
