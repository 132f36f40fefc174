"""Forms of the profile, user-management and roles pages, and the user list's filters."""

import django_filters
from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils.translation import gettext_lazy as _

from houqin.accounts import services
from houqin.accounts.models import User
from houqin.accounts.roles import ROLES, role_label
from houqin.core.forms import RefChoiceField
from houqin.core.widgets import PickerWidget


def roles_in_order():
    """Role groups in the order roles.py lists them; other groups after, by name."""
    order = [When(name=role.code, then=Value(i)) for i, role in enumerate(ROLES)]
    return Group.objects.annotate(
        role_order=Case(*order, default=Value(len(ROLES)), output_field=IntegerField())
    ).order_by("role_order", "name")


class RoleChoiceField(forms.ModelMultipleChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", roles_in_order())
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("roles"))
        super().__init__(**kwargs)

    def label_from_instance(self, obj):
        return role_label(obj.name)


LANGUAGE_CHOICES = [("", _("site default"))] + list(settings.LANGUAGES)


class AccountFieldsMixin:
    """Roles and person link, shared by the create and edit forms."""

    def _add_person_field(self, current=None):
        field = RefChoiceField(
            services.person_model().objects.select_related("company", "department", "user"),
            required=False,
            label=_("person"),
            help_text=_("The staff record this account belongs to: it gives the user's company, department and team."),
            widget=PickerWidget("org:person_pick"),
        )
        # The picker shows the chosen person's name rather than an id.
        field.widget.choices_queryset = field.queryset
        field.widget.current_object = current
        self.fields["person"] = field

    def clean_roles(self):
        roles = self.cleaned_data.get("roles")
        if roles is not None:
            services.check_role_combination(roles)
        return roles

    def clean_person(self):
        person = self.cleaned_data.get("person")
        owner = getattr(self, "instance", None)
        if person is not None and person.user_id and (owner is None or person.user_id != owner.pk):
            raise ValidationError(
                _("%(person)s is already linked to the account %(username)s."),
                params={"person": person, "username": person.user.username},
                code="person_taken",
            )
        return person


class UserCreateForm(AccountFieldsMixin, forms.ModelForm):
    name = forms.CharField(label=_("full name"), max_length=150, required=False)
    password1 = forms.CharField(
        label=_("password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    roles = RoleChoiceField()
    language = forms.ChoiceField(label=_("language"), choices=LANGUAGE_CHOICES, required=False)

    class Meta:
        model = User
        fields = ["username", "email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._add_person_field()
        self.order_fields(["username", "name", "person", "email", "password1", "password2", "roles", "language"])

    def clean(self):
        data = super().clean()
        password1, password2 = data.get("password1"), data.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords differ."))
        elif password2:
            probe = User(
                username=data.get("username") or "", first_name=data.get("name") or "", email=data.get("email") or ""
            )
            try:
                password_validation.validate_password(password2, probe)
            except ValidationError as exc:
                self.add_error("password2", exc)
        if not data.get("name") and data.get("person") is not None:
            data["name"] = data["person"].name
        return data


class UserEditForm(AccountFieldsMixin, forms.Form):
    name = forms.CharField(label=_("full name"), max_length=150, required=False)
    email = forms.EmailField(label=_("e-mail"), required=False)
    language = forms.ChoiceField(label=_("language"), choices=LANGUAGE_CHOICES, required=False)
    roles = RoleChoiceField()
    is_active = forms.BooleanField(
        label=_("active"), required=False, help_text=_("A disabled account cannot log in or use API tokens.")
    )

    def __init__(self, *args, instance: User, by: User, **kwargs):
        self.instance = instance
        person = getattr(instance, "person", None) if _has_person(instance) else None
        kwargs.setdefault(
            "initial",
            {
                "name": instance.get_full_name(),
                "email": instance.email,
                "language": instance.language,
                "roles": list(instance.groups.all()),
                "is_active": instance.is_active,
                "person": person.pk if person else None,
            },
        )
        super().__init__(*args, **kwargs)
        self._add_person_field(person)
        self.order_fields(["name", "person", "email", "language", "roles", "is_active"])
        if instance.pk == by.pk and not by.is_superuser:
            # Separation of duties: nobody widens their own rights or locks themselves out.
            for name, why in (
                ("roles", _("You cannot change your own roles.")),
                ("is_active", _("You cannot disable your own account.")),
            ):
                self.fields[name].disabled = True
                self.fields[name].help_text = why


def _has_person(user: User) -> bool:
    try:
        user.person  # noqa: B018  (reverse one-to-one raises when absent)
    except ObjectDoesNotExist:
        return False
    return True


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("language"), choices=settings.LANGUAGES)


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("name"), max_length=100, help_text=_("What the token is for, e.g. “telephone system”.")
    )
    expires_in_days = forms.IntegerField(
        label=_("expires after (days)"),
        required=False,
        min_value=1,
        max_value=3650,
        help_text=_("Leave empty for a token that does not expire."),
    )


class UserFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("search"))
    role = django_filters.ChoiceFilter(method="filter_role", label=_("role"), empty_label=_("any role"))
    is_active = django_filters.BooleanFilter(
        label=_("status"),
        widget=forms.Select(choices=[("", _("any status")), ("true", _("active")), ("false", _("disabled"))]),
    )

    class Meta:
        model = User
        fields = ["q", "role", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["role"].extra["choices"] = [(g.name, role_label(g.name)) for g in roles_in_order()]

    def filter_q(self, queryset, name, value):
        """User name, full name, or the linked person's name (pinyin too) or employee number."""
        for word in value.lower().split()[:5]:
            queryset = queryset.filter(
                Q(username__icontains=word)
                | Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(email__icontains=word)
                | Q(person__search_text__icontains=word)
                | Q(person__employee_no__icontains=word)
            )
        return queryset

    def filter_role(self, queryset, name, value):
        return queryset.filter(groups__name=value)
