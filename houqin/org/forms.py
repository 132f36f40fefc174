"""One form per master-data model, used by the edit pages, the API and the importers, so that
all three apply the same rules and give the same messages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from houqin.core.forms import RefChoiceField, RefMultipleChoiceField, ScopedFormMixin
from houqin.core.widgets import PickerFieldMixin, PickerWidget
from houqin.org.models import Certificate, Company, Department, DirectoryEntry, Location, Person, Site, Team, Trade


class MasterDataForm(ScopedFormMixin, PickerFieldMixin, forms.ModelForm):
    pass


class SiteForm(MasterDataForm):
    class Meta:
        model = Site
        fields = ["code", "name", "short_name", "address", "phone", "beds", "is_active"]


class LocationForm(MasterDataForm):
    parent = RefChoiceField(
        Location.objects.all(), required=False, label=_("parent"), widget=PickerWidget("org:location_pick")
    )
    site = RefChoiceField(Site.objects.all(), label=_("site"))
    department = RefChoiceField(Department.objects.all(), required=False, label=_("department"))

    class Meta:
        model = Location
        fields = ["code", "name", "kind", "parent", "site", "department", "area_m2", "is_active"]

    def clean(self):
        data = super().clean()
        # A child inherits its parent's site unless one was given.
        parent = data.get("parent")
        if parent is not None and not data.get("site") and "site" in self.errors:
            del self.errors["site"]
            data["site"] = parent.site
            self.instance.site = parent.site
        return data


class DepartmentForm(MasterDataForm):
    site = RefChoiceField(Site.objects.all(), label=_("site"))
    parent = RefChoiceField(Department.objects.all(), required=False, label=_("parent department"))

    class Meta:
        model = Department
        fields = ["code", "name", "kind", "cost_center", "site", "parent", "phone", "head", "is_active"]


class CompanyForm(MasterDataForm):
    class Meta:
        model = Company
        fields = ["code", "name", "kind", "credit_code", "services", "contact_name", "contact_phone", "is_active"]


class TradeForm(MasterDataForm):
    class Meta:
        model = Trade
        fields = ["code", "name", "description", "requires_certificate", "is_active"]


class TeamForm(MasterDataForm):
    company = RefChoiceField(Company.objects.all(), label=_("company"))
    site = RefChoiceField(Site.objects.all(), required=False, label=_("site"))
    trades = RefMultipleChoiceField(
        Trade.objects.all(), required=False, label=_("trades"), widget=forms.CheckboxSelectMultiple
    )
    leader = RefChoiceField(
        Person.objects.all(), required=False, label=_("leader"), widget=PickerWidget("org:person_pick")
    )

    class Meta:
        model = Team
        fields = ["code", "name", "company", "site", "trades", "leader", "phone", "is_active"]


class PersonForm(MasterDataForm):
    company = RefChoiceField(Company.objects.all(), label=_("company"))
    department = RefChoiceField(Department.objects.all(), required=False, label=_("department"))
    team = RefChoiceField(Team.objects.all(), required=False, label=_("team"))
    trades = RefMultipleChoiceField(
        Trade.objects.all(), required=False, label=_("trades"), widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Person
        fields = [
            "employee_no",
            "name",
            "gender",
            "phone",
            "company",
            "department",
            "team",
            "trades",
            "employment_type",
            "job_title",
            "hired_on",
            "on_duty",
            "is_active",
        ]
        widgets = {"hired_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A contractor manager keeps only its own company's staff: the company is not theirs to choose.
        company_choices = self.fields["company"].queryset
        if self.user is not None and company_choices.count() == 1:
            self.fields["company"].initial = company_choices.first()


class CertificateForm(ScopedFormMixin, PickerFieldMixin, forms.ModelForm):
    person = RefChoiceField(Person.objects.all(), label=_("person"), widget=PickerWidget("org:person_pick"))

    class Meta:
        model = Certificate
        fields = ["person", "name", "number", "issuer", "issued_on", "expires_on"]
        widgets = {
            "issued_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "expires_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }


class DirectoryEntryForm(MasterDataForm):
    department = RefChoiceField(Department.objects.all(), required=False, label=_("department"))
    location = RefChoiceField(
        Location.objects.all(), required=False, label=_("location"), widget=PickerWidget("org:location_pick")
    )
    person = RefChoiceField(
        Person.objects.all(), required=False, label=_("person"), widget=PickerWidget("org:person_pick")
    )

    class Meta:
        model = DirectoryEntry
        fields = ["number", "label", "department", "location", "person", "note", "is_active"]


class LocationMoveForm(forms.Form):
    parent = RefChoiceField(
        Location.objects.all(), required=False, label=_("new parent"), widget=PickerWidget("org:location_pick")
    )
    name = forms.CharField(label=_("name"), max_length=100)
