from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from houqin.reports.services import check_month, last_month, month_start


class MonthInput(forms.TextInput):
    input_type = "month"


class GenerateReportForm(forms.Form):
    """The "generate now" form: which month (default last month; this month gives the month so far)."""

    month = forms.CharField(
        label=_("month"),
        max_length=7,
        widget=MonthInput(attrs={"placeholder": "YYYY-MM", "pattern": r"\d{4}-\d{2}"}),
        help_text=_("This month gives the figures so far; a finished month is also sent to the directors."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("month", f"{last_month():%Y-%m}")

    def clean_month(self):
        try:
            first = month_start(self.cleaned_data["month"])
            check_month(first)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["month"]) from None
        return first
