"""The weights form and the filter bar of the performance pages."""

import contextlib

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from houqin.core.generic import bootstrap_form
from houqin.org.models import Company, Site, Team
from houqin.performance.models import ScoreWeights
from houqin.performance.months import last_complete_month, month_choices, month_label, month_period, month_value
from houqin.performance.scoring import PARTS

WEIGHT_HELP = {
    "workload": _("Points ÷ the most points in the same team × 100."),
    "on_time": _("On-time orders ÷ completed orders × 100."),
    "rework": _("(1 − reworked ÷ completed) × 100."),
    "satisfaction": _("(Average rating − 1) ÷ 4 × 100."),
    "complaints": _("100 − points off per complaint × complaints, at least 0 (a team: per 100 completed orders)."),
    "complaint_penalty": _("Taken off the complaints part (100) for each complaint."),
}


class ScoreWeightsForm(forms.ModelForm):
    """The weights need not add up to 100 (the score divides by their sum), but not all may be 0."""

    class Meta:
        model = ScoreWeights
        fields = (*PARTS, "complaint_penalty")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for name, help_text in WEIGHT_HELP.items():
            self.fields[name].help_text = help_text

    def clean(self):
        cleaned = super().clean()
        weights = [cleaned.get(name) for name in PARTS]
        if all(weight is not None and weight == 0 for weight in weights):
            self.add_error(
                "workload", _("At least one weight must be above 0: the score is the weighted average of the parts.")
            )
        return cleaned


def _codes(queryset, label):
    return [("", label)] + [(obj.code, obj.name) for obj in queryset]


class PerformanceFilterForm(forms.Form):
    """Month, team, company (contractor) and site; the choices are limited to the user's scope."""

    # Any month may be asked for by URL; the drop-down offers the last ones.
    month = forms.CharField(label=_("month"), required=False, widget=forms.Select)
    team = forms.ChoiceField(label=_("team"), required=False)
    contractor = forms.ChoiceField(label=_("company"), required=False)
    site = forms.ChoiceField(label=_("site"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        choices = month_choices()
        asked = self.data.get("month") if self.is_bound else None
        if asked and asked not in dict(choices):
            with contextlib.suppress(ValidationError):
                choices.append((asked, month_label(month_period(asked))))
        self.fields["month"].widget.choices = choices
        self.fields["month"].initial = month_value(last_complete_month())
        self.fields["team"].choices = _codes(
            Team.objects.for_user(user).filter(is_active=True).order_by("code"), _("All teams")
        )
        self.fields["contractor"].choices = _codes(
            Company.objects.for_user(user).filter(teams__isnull=False).distinct().order_by("code"), _("All companies")
        )
        self.fields["site"].choices = _codes(Site.objects.for_user(user).order_by("code"), _("All sites"))
        for form_field in self.fields.values():
            form_field.widget.attrs.update({"aria-label": form_field.label, "data-autosubmit": ""})
        bootstrap_form(self, small=True)

    def clean_month(self):
        try:
            return month_period(self.cleaned_data.get("month"))
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["month"]) from None

    def period(self):
        """The chosen month (valid form), or the last complete month."""
        return self.cleaned_data["month"]

    def filters(self) -> dict:
        """The chosen filters (valid form), as the KPI filter parameters."""
        return {name: self.cleaned_data[name] for name in ("team", "contractor", "site") if self.cleaned_data.get(name)}
