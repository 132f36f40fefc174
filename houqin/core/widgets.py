from django import forms
from django.urls import reverse


class PickerWidget(forms.Widget):
    """Type-ahead choice among thousands of rows (locations, people): a text box that asks
    `picker_url?q=` as the user types and keeps the chosen id in a hidden input.
    Without JavaScript the hidden input is a plain text box that takes a code or id."""

    template_name = "core/widgets/picker.html"

    def __init__(self, url_name: str, attrs=None):
        super().__init__(attrs)
        self.url_name = url_name

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        label = ""
        if value not in (None, ""):
            obj = getattr(self, "current_object", None)
            if obj is not None and str(obj.pk) == str(value):
                label = str(obj)
            elif self.choices_queryset is not None:
                from houqin.core.refs import resolve_ref

                found = resolve_ref(self.choices_queryset, value)
                label = str(found) if found else str(value)
        context["widget"].update({"picker_url": reverse(self.url_name), "label": label})
        return context

    choices_queryset = None


class PickerFieldMixin:
    """Give a PickerWidget the field's queryset so it can show the chosen row's name."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, PickerWidget):
                field.widget.choices_queryset = getattr(field, "queryset", None)
