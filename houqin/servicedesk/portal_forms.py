"""Forms of the requester portal: the report (category, place, description, photos, phone) and
what a requester does to an order afterwards (rate, reopen, cancel, comment).

Also the reading of a scanned label (a /q/<code> URL or the bare code), shared with the worker
pages, where a scan proves arrival."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from houqin.core.forms import RefChoiceField
from houqin.core.labels import find_label_target
from houqin.core.refs import resolve_ref
from houqin.core.widgets import PickerFieldMixin, PickerWidget
from houqin.org.models import Department, Location
from houqin.org.services import normalize_phone
from houqin.servicedesk.models import ServiceCategory
from houqin.servicedesk.photos import PhotosField

# ---------------------------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------------------------

_LABEL_IN_URL = re.compile(r"/q/([A-Za-z0-9]+)")
_BARE_LABEL = re.compile(r"^[A-Za-z0-9]{4,12}$")


def label_code_of(text: str) -> str:
    """The label code in what a scanner app pasted or a person typed: "https://…/q/LAB2C3D",
    "/q/lab2c3d" or "LAB2C3D" → "LAB2C3D"; "" when there is none."""
    text = (text or "").strip()[:300]
    found = _LABEL_IN_URL.search(text)
    if found:
        return found.group(1).upper()
    return text.upper() if _BARE_LABEL.match(text) else ""


def location_of_label(text: str) -> Location | None:
    """The active location a label (or its URL) belongs to; for a labelled thing that is not a
    place (equipment, later), the place it stands in."""
    code = label_code_of(text)
    if not code:
        return None
    target = find_label_target(code)
    location = target if isinstance(target, Location) else getattr(target, "location", None)
    if location is None or not location.is_active:
        return None
    return location


class LocationRefField(RefChoiceField):
    """A location by label code (or its /q/ URL), code or id: the portal is opened from labels."""

    def to_python(self, value):
        if isinstance(value, str) and value.strip():
            location = location_of_label(value)
            if location is not None and self.queryset.filter(pk=location.pk).exists():
                return location
        return super().to_python(value)


class MobileFormMixin:
    """Bootstrap classes on the widgets, so the phone templates render fields as they are."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, (forms.RadioSelect, forms.HiddenInput, forms.CheckboxInput, PickerWidget)):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


# ---------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------

MOBILE_PHONE = re.compile(r"^1[3-9][0-9]{9}$")
# Area code (0 + 2–3 digits) and a 7–8 digit number, or the number alone inside the city.
LANDLINE = re.compile(r"^(0[1-9][0-9]{1,2})?[2-9][0-9]{6,7}$")


def clean_phone_number(raw: str) -> str:
    """A mainland mobile (11 digits) or landline number without separators, or ValidationError."""
    phone = normalize_phone(raw)
    if not (MOBILE_PHONE.match(phone) or LANDLINE.match(phone)):
        raise ValidationError(
            _(
                "Enter an 11-digit mobile number or a landline number with area code, e.g. 13912345678 or 0571-88881234."
            ),
            code="invalid_phone",
        )
    return phone


def reportable_categories():
    """Active categories a request can be filed under: not groups (those have categories below)."""
    return ServiceCategory.objects.filter(is_active=True, children__isnull=True)


class ReportForm(MobileFormMixin, PickerFieldMixin, forms.Form):
    """A request from the portal. `public=True`: someone without an account at a QR label, who
    reports for that label's place only and must leave a phone number; otherwise a logged-in
    user who may pick any place and defaults to their own department."""

    category = forms.ModelChoiceField(
        queryset=reportable_categories(),
        label=_("What is it about?"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what the request is about."), "invalid_choice": _("Choose a category.")},
    )
    location = LocationRefField(
        Location.objects.filter(is_active=True),
        required=False,
        label=_("Where?"),
        widget=PickerWidget("org:location_pick"),
    )
    description = forms.CharField(
        label=_("What is needed?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("e.g. the ceiling light over bed 3 is off")}),
        error_messages={"required": _("Describe what is needed.")},
    )
    photos = PhotosField(label=_("Photos"))
    department = forms.ModelChoiceField(
        queryset=Department.objects.filter(is_active=True), required=False, label=_("Department")
    )
    name = forms.CharField(label=_("Your name"), max_length=50, required=False)
    phone = forms.CharField(label=_("Phone for call-back"), max_length=32, required=False)

    def __init__(self, *args, public: bool = False, location: Location | None = None, complaint: bool = False, **kw):
        super().__init__(*args, **kw)
        self.public = public
        self.fixed_location = location if public else None
        # Complaints have their own entry (a link on the form, one on each request), and a
        # complaint needs a written answer: they are not mixed into the grid of everyday needs.
        categories = reportable_categories().filter(is_complaint=complaint)
        self.fields["category"].queryset = categories
        if complaint:
            self.fields["description"].label = _("Your complaint or suggestion")
            self.fields["description"].widget.attrs["placeholder"] = ""
            only = list(categories[:2])
            if len(only) == 1:
                self.fields["category"].initial = only[0].pk
        if public:
            # Nobody without an account searches the location tree: the label names the place.
            self.fields["location"] = forms.CharField(required=False, widget=forms.HiddenInput())
            self.fields["phone"].required = True
            self.fields["phone"].error_messages["required"] = _("Leave a phone number so that we can call you back.")
            del self.fields["department"]
        else:
            del self.fields["name"]
            if location is not None:
                self.fields["location"].initial = location.pk
        self.fields["phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "tel"})

    def clean_location(self):
        if self.public:
            # Whatever came back in the hidden field, a public report is about the label's place.
            return self.fixed_location
        return self.cleaned_data.get("location")

    def clean_phone(self):
        raw = self.cleaned_data.get("phone", "").strip()
        if not raw:
            return ""
        return clean_phone_number(raw)

    def clean_description(self):
        text = self.cleaned_data.get("description", "").strip()
        if not text:
            raise ValidationError(_("Describe what is needed."), code="required")
        return text

    def clean(self):
        data = super().clean()
        category = data.get("category")
        missing = category is not None and category.requires_location and data.get("location") is None
        if missing and "location" not in self.errors:
            self.add_error("location", _("Say where: this kind of request needs a location."))
        return data


# ---------------------------------------------------------------------------------------------
# After reporting
# ---------------------------------------------------------------------------------------------


class VersionForm(MobileFormMixin, forms.Form):
    """Every action posts the version of the order the user saw: a change made meanwhile by
    someone else is then refused instead of being overwritten."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class RatingForm(VersionForm):
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you?"),
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a rating from 1 to 5.")},
    )
    comment = forms.CharField(
        label=_("Comment"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReopenForm(VersionForm):
    reason = forms.CharField(
        label=_("What is still wrong?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say what is still wrong.")},
    )


class CancelForm(VersionForm):
    reason = forms.CharField(
        label=_("Why withdraw it?"), max_length=200, error_messages={"required": _("Give a reason.")}
    )


class CommentForm(MobileFormMixin, forms.Form):
    text = forms.CharField(
        label=_("Add a comment"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Write the comment.")},
    )


def resolve_location(value: str, queryset=None) -> Location | None:
    """A location from ?location=: a label code (or /q/ URL) first, then a code or id."""
    location = location_of_label(value)
    if location is not None:
        return location
    if queryset is None:
        return None
    return resolve_ref(queryset.filter(is_active=True), value)
