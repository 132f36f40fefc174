from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from houqin.core.refs import resolve_ref


class RefChoiceField(forms.ModelChoiceField):
    """A foreign key chosen by id or by business code (e.g. "A1-3F-312" or 42)."""

    default_error_messages = {
        "invalid_choice": _("No %(model)s with code or id “%(value)s”."),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, self.queryset.model):
            value = value.pk
        obj = resolve_ref(self.queryset, value)
        if obj is None:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"model": self.queryset.model._meta.verbose_name, "value": str(value)[:60]},
            )
        return obj


class RefMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Many-to-many by ids or codes; a text value may list them separated by commas."""

    default_error_messages = {
        "invalid_choice": _("No %(model)s with code or id “%(value)s”."),
        "invalid_list": _("Enter a list of codes or ids."),
    }

    def clean(self, value):
        if isinstance(value, str):
            value = [part.strip() for part in value.replace("，", ",").replace("、", ",").split(",") if part.strip()]
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")
        if not value:
            return self.queryset.none()
        if not isinstance(value, (list, tuple)):
            raise ValidationError(self.error_messages["invalid_list"], code="invalid_list")
        pks = []
        for item in value:
            obj = resolve_ref(self.queryset, item)
            if obj is None:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"model": self.queryset.model._meta.verbose_name, "value": str(item)[:60]},
                )
            pks.append(obj.pk)
        return self.queryset.filter(pk__in=pks)


class ScopedFormMixin:
    """A ModelForm that knows the acting user: related-object choices are limited to what the
    user may see, so nobody can point a record at a company or team outside their scope."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            queryset = getattr(field, "queryset", None)
            if queryset is not None and user is not None and hasattr(queryset, "for_user"):
                field.queryset = queryset.for_user(user)
