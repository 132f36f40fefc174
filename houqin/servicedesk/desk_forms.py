"""Forms of the desk pages: the console's intake form and one small form per workflow action.

The forms only read what was typed (numbers as numbers, codes as objects); the rules of the
workflow stay in services.py, whose ValidationErrors the views put back on these fields. Every
action form carries the order's `version`, so that a change made by someone else meanwhile is
refused instead of overwritten."""

from django import forms
from django.utils.translation import gettext_lazy as _

from houqin.core.forms import RefChoiceField
from houqin.core.widgets import PickerFieldMixin, PickerWidget
from houqin.org.models import Department, Location, Person, Team
from houqin.servicedesk.models import FollowUpMethod, HoldReason, Priority, ServiceCategory, WorkOrder

RATING_CHOICES = [(value, str(value)) for value in range(1, 6)]


def leaf_categories():
    """The categories an order can be filed under: active ones that are not groups."""
    return ServiceCategory.objects.filter(is_active=True, children__isnull=True).select_related("parent")


def grouped_category_choices(user=None) -> list:
    """(group name, [(id, name)…]) for a select with one option group per catalog group."""
    groups: dict[str, list] = {}
    for category in leaf_categories().order_by("parent__sort_order", "parent__code", "sort_order", "code"):
        group = category.parent.name if category.parent_id else str(_("Other"))
        groups.setdefault(group, []).append((category.pk, category.name))
    return [("", "—"), *groups.items()]


class DeskIntakeForm(PickerFieldMixin, forms.Form):
    """A request taken on the phone. Field order is the console's tab order."""

    requester_phone = forms.CharField(label=_("caller phone"), max_length=32, required=False)
    requester_name = forms.CharField(label=_("requester"), max_length=50, required=False)
    location = RefChoiceField(
        Location.objects.filter(is_active=True),
        required=False,
        label=_("location"),
        widget=PickerWidget("org:location_pick"),
    )
    category = RefChoiceField(leaf_categories(), label=_("category"), widget=PickerWidget("servicedesk:category_pick"))
    priority = forms.ChoiceField(
        label=_("priority"), choices=[("", _("category default")), *Priority.choices], required=False
    )
    description = forms.CharField(label=_("description"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    assignee = RefChoiceField(Person.objects.filter(is_active=True), required=False, label=_("worker"))
    other_assignee = RefChoiceField(
        Person.objects.filter(is_active=True),
        required=False,
        label=_("another worker"),
        widget=PickerWidget("org:person_pick"),
    )
    department = RefChoiceField(
        Department.objects.filter(is_active=True), required=False, widget=forms.HiddenInput, label=_("department")
    )
    call = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user is not None:
            self.fields["location"].queryset = Location.objects.for_user(user).filter(is_active=True)
        self.fields["requester_phone"].widget.attrs.update(
            {"autofocus": True, "autocomplete": "off", "inputmode": "tel", "class": "form-control form-control-lg"}
        )
        self.fields["description"].widget.attrs.update({"class": "form-control"})

    @property
    def chosen_assignee(self):
        return self.cleaned_data.get("other_assignee") or self.cleaned_data.get("assignee")


# ---------------------------------------------------------------------------------------------
# Actions on one order
# ---------------------------------------------------------------------------------------------


class ActionForm(PickerFieldMixin, forms.Form):
    """Base of the action forms: the version the user saw, and the order and user at hand."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, order: WorkOrder, user, **kwargs):
        kwargs.setdefault("prefix", self.action)
        super().__init__(*args, **kwargs)
        self.order = order
        self.user = user
        self.fields["version"].initial = order.version

    action = ""


class AcceptForm(ActionForm):
    action = "accept"


class DispatchForm(ActionForm):
    action = "dispatch"

    assignee = RefChoiceField(Person.objects.filter(is_active=True), required=False, label=_("worker"))
    other_assignee = RefChoiceField(
        Person.objects.filter(is_active=True),
        required=False,
        label=_("another worker"),
        widget=PickerWidget("org:person_pick"),
    )
    team = RefChoiceField(
        Team.objects.filter(is_active=True),
        required=False,
        label=_("or only the team"),
        help_text=_("Dispatch to a team whose leader assigns it later."),
    )
    note = forms.CharField(label=_("note"), max_length=500, required=False)

    def __init__(self, *args, suggestions=(), **kwargs):
        super().__init__(*args, **kwargs)
        # The suggested workers first, with their load; the picker below finds anyone else.
        choices = [("", "—")]
        for person in suggestions:
            hint = _("%(count)s open") % {"count": person.open_orders}
            if getattr(person, "same_building", False):
                hint = _("%(hint)s, in the building") % {"hint": hint}
            choices.append((person.pk, f"{person.name} ({hint})"))
        self.fields["assignee"].widget = forms.Select(choices=choices)
        if suggestions and not self.is_bound:
            self.fields["assignee"].initial = suggestions[0].pk
        self.fields["team"].queryset = Team.objects.for_user(user=self.user).filter(is_active=True)
        self.fields["team"].empty_label = "—"
        self.fields["team"].widget = forms.Select(
            choices=[("", "—"), *((t.pk, t.name) for t in self.fields["team"].queryset.only("id", "name"))]
        )

    @property
    def chosen_assignee(self):
        return self.cleaned_data.get("other_assignee") or self.cleaned_data.get("assignee")


class StartForm(ActionForm):
    action = "start"


class HoldForm(ActionForm):
    action = "hold"

    reason = forms.ChoiceField(label=_("reason"), choices=[("", "—"), *HoldReason.choices])
    note = forms.CharField(label=_("note"), max_length=200, required=False)


class ResumeForm(ActionForm):
    action = "resume"

    note = forms.CharField(label=_("note"), max_length=500, required=False)


class CompleteForm(ActionForm):
    action = "complete"

    note = forms.CharField(label=_("result"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    labor_minutes = forms.IntegerField(label=_("labour (min)"), min_value=0, max_value=10000)
    difficulty = forms.DecimalField(
        label=_("difficulty factor"), min_value=0.1, max_value=5, decimal_places=2, initial=1, required=False
    )


class FollowUpForm(ActionForm):
    action = "follow-up"

    # No initial value: the requester's answer must be chosen, never assumed.
    rating = forms.TypedChoiceField(
        label=_("rating"), choices=RATING_CHOICES, coerce=int, widget=forms.RadioSelect, required=True
    )
    comment = forms.CharField(label=_("comment"), max_length=500, required=False)
    method = forms.ChoiceField(
        label=_("method"),
        choices=[
            (FollowUpMethod.PHONE, FollowUpMethod.PHONE.label),
            (FollowUpMethod.REQUESTER, FollowUpMethod.REQUESTER.label),
        ],
        initial=FollowUpMethod.PHONE,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rating"].error_messages["required"] = _("Choose the rating the requester gave (1–5).")


class CloseForm(ActionForm):
    action = "close"

    score = forms.IntegerField(label=_("score"), min_value=0, max_value=100, required=False)
    remarks = forms.CharField(label=_("remarks"), max_length=500, required=False)
    answer = forms.CharField(
        label=_("answer to the complaint"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.order.category.is_complaint:
            del self.fields["answer"]


class CancelForm(ActionForm):
    action = "cancel"

    reason = forms.CharField(label=_("reason"), max_length=200)
    duplicate_of = forms.CharField(
        label=_("duplicate of (order number)"),
        max_length=20,
        required=False,
        help_text=_("Merge this order into the original: its requester follows the original."),
    )

    def clean_duplicate_of(self):
        number = self.cleaned_data["duplicate_of"].strip().upper()
        if not number:
            return None
        original = WorkOrder.objects.for_user(self.user).filter(number=number).first()
        if original is None:
            raise forms.ValidationError(_("No order has the number “%(number)s”.") % {"number": number[:20]})
        return original


class ReopenForm(ActionForm):
    action = "reopen"

    reason = forms.CharField(label=_("what is still wrong"), max_length=500)
    assignee = RefChoiceField(
        Person.objects.filter(is_active=True),
        required=False,
        label=_("another worker"),
        widget=PickerWidget("org:person_pick"),
        help_text=_("Empty: the same worker."),
    )


class TransferForm(ActionForm):
    action = "transfer"

    team = RefChoiceField(Team.objects.filter(is_active=True), label=_("team"))
    reason = forms.CharField(label=_("reason"), max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        teams = Team.objects.for_user(self.user).filter(is_active=True).exclude(pk=self.order.team_id)
        self.fields["team"].queryset = teams
        self.fields["team"].widget = forms.Select(
            choices=[("", "—"), *((t.pk, t.name) for t in teams.only("id", "name"))]
        )


class CommentForm(ActionForm):
    action = "comment"

    text = forms.CharField(label=_("comment"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ChangeForm(ActionForm):
    action = "change"

    priority = forms.ChoiceField(label=_("priority"), choices=Priority.choices)
    category = RefChoiceField(leaf_categories(), label=_("category"))
    location = RefChoiceField(
        Location.objects.filter(is_active=True),
        required=False,
        label=_("location"),
        widget=PickerWidget("org:location_pick"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = Location.objects.for_user(self.user).filter(is_active=True)
        self.fields["category"].widget = forms.Select(choices=grouped_category_choices())
        if not self.is_bound:
            self.initial.update(
                {
                    "priority": self.order.priority,
                    "category": self.order.category_id,
                    "location": self.order.location_id,
                }
            )
        if self.order.location_id:
            self.fields["location"].widget.current_object = self.order.location


ACTION_FORMS: dict[str, type[ActionForm]] = {
    form.action: form
    for form in (
        AcceptForm,
        DispatchForm,
        StartForm,
        HoldForm,
        ResumeForm,
        CompleteForm,
        FollowUpForm,
        CloseForm,
        CancelForm,
        ReopenForm,
        TransferForm,
        CommentForm,
        ChangeForm,
    )
}


class CallBackForm(forms.Form):
    """The call-back workbench: the requester's rating on the phone, or a call that did not get through."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    rating = forms.TypedChoiceField(
        label=_("rating"), choices=RATING_CHOICES, coerce=int, widget=forms.RadioSelect, required=False
    )
    comment = forms.CharField(
        label=_("comment"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
