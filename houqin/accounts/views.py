"""Pages of the accounts app: my profile (language, password, API tokens), user management for
the security administrator, and roles with their permission matrix.

Views check permissions and read input; every change goes through houqin.accounts.services
(or houqin.accounts.tokens), which enforce the separation of duties and write the audit trail."""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from houqin.accounts import services
from houqin.accounts.forms import (
    LanguageForm,
    TokenCreateForm,
    UserCreateForm,
    UserEditForm,
    UserFilterSet,
    roles_in_order,
)
from houqin.accounts.models import ApiToken, User
from houqin.accounts.roles import ROLE_BY_CODE, Scope, role_label
from houqin.accounts.tokens import create_token, revoke_token
from houqin.core.audit import history_for
from houqin.core.generic import bootstrap_form, render_page_or_fragment
from houqin.core.models import SecurityEvent

PER_PAGE = 50


class LogoutView(auth_views.LogoutView):
    """POST only, as in Django 5: a link or an image on another page cannot log anyone out."""

    http_method_names = ["post", "options"]


def _person_of(user: User):
    return services.person_model().objects.select_related("company", "department", "team").filter(user=user).first()


# ---------------------------------------------------------------------------------------------
# My profile
# ---------------------------------------------------------------------------------------------


def _password_form(user, data=None) -> PasswordChangeForm:
    form = PasswordChangeForm(user, data)
    # Django focuses the old password; on the profile page that would scroll past everything else.
    form.fields["old_password"].widget.attrs.pop("autofocus", None)
    return form


def _profile_page(request, *, status: int = 200, new_key: str = "", new_token=None, **forms):
    user = request.user
    context = {
        "title": _("My profile"),
        "person": _person_of(user),
        "roles": [role_label(code) for code in sorted(user.role_codes)],
        "language_form": forms.get("language_form")
        or LanguageForm(initial={"language": user.language or settings.LANGUAGE_CODE}),
        "password_form": bootstrap_form(forms.get("password_form") or _password_form(user)),
        "token_form": bootstrap_form(forms.get("token_form") or TokenCreateForm()),
        "tokens": list(user.api_tokens.all()),
        "new_key": new_key,
        "new_token": new_token,
        "now": timezone.now(),
    }
    bootstrap_form(context["language_form"])
    response = render(request, "accounts/profile.html", context, status=status)
    if new_key:
        # The key is in this page only: no cache may keep it.
        add_never_cache_headers(response)
        response["Cache-Control"] += ", no-store"
    return response


@login_required
def profile(request):
    return _profile_page(request)


@login_required
@require_POST
def profile_language(request):
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return _profile_page(request, language_form=form, status=400)
    language = form.cleaned_data["language"]
    services.set_language(request.user, language)
    messages.success(request, gettext_lazy("Your language is saved."))
    response = redirect("accounts:profile")
    # Also for the login page after logging out, which has no user to ask.
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax")
    return response


@login_required
@require_POST
def profile_password(request):
    form = _password_form(request.user, request.POST)
    if not form.is_valid():
        return _profile_page(request, password_form=form, status=400)
    services.change_own_password(request.user, form.cleaned_data["new_password1"])
    # Stay logged in here; other sessions of this user end with the old password.
    update_session_auth_hash(request, request.user)
    messages.success(request, _("Your password has been changed."))
    return redirect("accounts:profile")


@login_required
@require_POST
def token_create(request):
    form = TokenCreateForm(request.POST)
    if not form.is_valid():
        return _profile_page(request, token_form=form, status=400)
    days = form.cleaned_data["expires_in_days"]
    expires_at = timezone.now() + datetime.timedelta(days=days) if days else None
    try:
        token, key = create_token(request.user, name=form.cleaned_data["name"], expires_at=expires_at, by=request.user)
    except ValidationError as exc:
        form.add_error(None, exc)
        return _profile_page(request, token_form=form, status=400)
    # Rendered, not redirected: the key must not travel through the session or a URL.
    return _profile_page(request, new_key=key, new_token=token)


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    revoke_token(token, by=request.user)
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("accounts:profile")


# ---------------------------------------------------------------------------------------------
# User management (security administrator)
# ---------------------------------------------------------------------------------------------


def _locked_usernames(usernames) -> set[str]:
    """Which of these accounts django-axes currently refuses after too many failed logins."""
    from axes.models import AccessAttempt

    qs = AccessAttempt.objects.filter(
        username__in=list(usernames), failures_since_start__gte=settings.AXES_FAILURE_LIMIT
    )
    cooloff = settings.AXES_COOLOFF_TIME
    if cooloff:
        hours = cooloff.total_seconds() / 3600 if isinstance(cooloff, datetime.timedelta) else float(cooloff)
        qs = qs.filter(attempt_time__gte=timezone.now() - datetime.timedelta(hours=hours))
    return set(qs.values_list("username", flat=True))


def _user_or_404(pk: int) -> User:
    return get_object_or_404(User.objects.prefetch_related("groups"), pk=pk)


def _may_manage(request, user: User) -> None:
    try:
        services.check_may_manage(user, by=request.user)
    except PermissionDenied:
        raise PermissionDenied(_("Only a superuser can change a superuser's account.")) from None


@login_required
@permission_required("accounts.view_user", raise_exception=True)
def user_list(request):
    queryset = User.objects.select_related("person__company", "person__department").prefetch_related(
        Prefetch("groups", queryset=Group.objects.order_by("name"))
    )
    filterset = UserFilterSet(request.GET, queryset=queryset)
    users = filterset.qs.distinct().order_by("username") if filterset.is_valid() else queryset.none()
    page = Paginator(users, PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    locked = _locked_usernames(u.username for u in rows)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "title": _("User accounts"),
        "filterset": filterset,
        "filter_form": bootstrap_form(filterset.form, small=True),
        "page_obj": page,
        "rows": [
            {"user": u, "roles": [role_label(g.name) for g in u.groups.all()], "locked": u.username in locked}
            for u in rows
        ],
        "query": query.urlencode(),
        "can_add": request.user.has_perm("accounts.add_user"),
    }
    return render_page_or_fragment(
        request, "accounts/user_list.html", context, fragment="accounts/user_list.html#results"
    )


@login_required
@permission_required("accounts.view_user", raise_exception=True)
def user_detail(request, pk: int):
    user = _user_or_404(pk)
    viewer = request.user
    events = None
    if viewer.has_perm("core.view_securityevent"):
        # What the user did, and what was done to the account by others.
        events = list(SecurityEvent.objects.filter(Q(username=user.username) | Q(detail__target=user.username))[:20])
    history = list(history_for(user)[:20]) if viewer.has_perm("core.view_auditentry") else None
    context = {
        "title": str(user),
        "account": user,
        "person": _person_of(user),
        "roles": [role_label(g.name) for g in user.groups.all()],
        "locked": user.username in _locked_usernames([user.username]),
        "tokens": list(user.api_tokens.all()),
        "events": events,
        "history": history,
        "can_change": viewer.has_perm("accounts.change_user") and (viewer.is_superuser or not user.is_superuser),
        "is_self": user.pk == viewer.pk,
        "content_type_id": ContentType.objects.get_for_model(User).pk,
        "now": timezone.now(),
    }
    return render(request, "accounts/user_detail.html", context)


@login_required
@permission_required("accounts.add_user", raise_exception=True)
def user_add(request):
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.create_user(
                username=data["username"],
                password=data["password1"],
                name=data["name"],
                email=data["email"],
                language=data["language"],
                roles=data["roles"],
                person=data["person"],
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The account %(username)s is created.") % {"username": user.username})
            return redirect("accounts:user_detail", pk=user.pk)
    return render(
        request,
        "accounts/user_form.html",
        {"title": _("New user account"), "form": bootstrap_form(form), "account": None},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@permission_required("accounts.change_user", raise_exception=True)
def user_edit(request, pk: int):
    user = _user_or_404(pk)
    _may_manage(request, user)
    form = UserEditForm(request.POST or None, instance=user, by=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.save_user(
                user,
                name=data["name"],
                email=data["email"],
                language=data["language"],
                roles=data["roles"],
                is_active=data["is_active"],
                person=data["person"],
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The account %(username)s is saved.") % {"username": user.username})
            return redirect("accounts:user_detail", pk=user.pk)
    return render(
        request,
        "accounts/user_form.html",
        {"title": _("Edit %(username)s") % {"username": user.username}, "form": bootstrap_form(form), "account": user},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@permission_required("accounts.change_user", raise_exception=True)
def user_password(request, pk: int):
    user = _user_or_404(pk)
    _may_manage(request, user)
    if user.pk == request.user.pk:
        messages.info(request, _("Change your own password on your profile page."))
        return redirect("accounts:profile")
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.reset_password(user, form.cleaned_data["new_password1"], by=request.user)
        messages.success(
            request,
            _("The password of %(username)s is reset. Tell the user in person and ask them to change it.")
            % {"username": user.username},
        )
        return redirect("accounts:user_detail", pk=user.pk)
    return render(
        request,
        "accounts/user_password.html",
        {"title": _("Reset password"), "form": bootstrap_form(form), "account": user},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@permission_required("accounts.change_user", raise_exception=True)
@require_POST
def user_unlock(request, pk: int):
    user = _user_or_404(pk)
    _may_manage(request, user)
    services.unlock_user(user, by=request.user)
    messages.success(request, _("%(username)s can log in again.") % {"username": user.username})
    return redirect("accounts:user_detail", pk=user.pk)


@login_required
@permission_required("accounts.change_user", raise_exception=True)
@require_POST
def user_set_active(request, pk: int):
    user = _user_or_404(pk)
    _may_manage(request, user)
    active = request.POST.get("active") == "1"
    try:
        services.set_active(user, active, by=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        if active:
            messages.success(request, _("The account %(username)s is enabled.") % {"username": user.username})
        else:
            messages.success(request, _("The account %(username)s is disabled.") % {"username": user.username})
    return redirect("accounts:user_detail", pk=user.pk)


# ---------------------------------------------------------------------------------------------
# Roles and their permissions
# ---------------------------------------------------------------------------------------------

ACTIONS = ("view", "add", "change", "delete")
ACTION_LABELS = {
    "view": gettext_lazy("view"),
    "add": gettext_lazy("add"),
    "change": gettext_lazy("change"),
    "delete": gettext_lazy("delete"),
}
SCOPE_LABELS = {
    Scope.ALL: gettext_lazy("everything the permissions allow"),
    Scope.COMPANY: gettext_lazy("own company only"),
    Scope.DEPARTMENT: gettext_lazy("own department only"),
}
# Rights that belong to no single model: shown above the matrix.
SPECIAL_PERMISSIONS = ("core.export_data",)
# How the matrix groups models; apps not named here use their own verbose name.
APP_SECTIONS = {
    "org": gettext_lazy("Master data"),
    "accounts": gettext_lazy("Accounts and roles"),
    "auth": gettext_lazy("Accounts and roles"),
    "core": gettext_lazy("Audit"),
}
# Permissions of these models mean nothing to a role (Django internals).
HIDDEN_MODELS = {("auth", "permission")}


@dataclass
class MatrixRow:
    label: str
    model: str  # "app.model"
    cells: dict  # action → Permission or None
    others: list = field(default_factory=list)  # custom permissions of the model


@dataclass
class MatrixSection:
    label: str
    rows: list = field(default_factory=list)


def _houqin_app_labels() -> set[str]:
    from django.apps import apps

    return {config.label for config in apps.get_app_configs() if config.name.startswith("houqin.")} | {"auth"}


def matrix_permissions():
    """Every permission the roles page offers: those of houqin's models, roles (auth.group) and the
    special rights, not Django's internals (sessions, admin log, axes…)."""
    apps_shown = _houqin_app_labels()
    return [
        p
        for p in Permission.objects.select_related("content_type").order_by(
            "content_type__app_label", "content_type__model", "codename"
        )
        if p.content_type.app_label in apps_shown
        and (p.content_type.app_label, p.content_type.model) not in HIDDEN_MODELS
    ]


def permission_matrix(permissions) -> tuple[list, list[MatrixSection]]:
    """(special rights, sections of model rows with a cell per action)."""
    special = []
    sections: dict[str, MatrixSection] = {}
    rows: dict[tuple[str, str], MatrixRow] = {}
    for perm in permissions:
        ct: ContentType = perm.content_type
        code = services.permission_code(perm)
        if code in SPECIAL_PERMISSIONS:
            special.append(perm)
            continue
        key = (ct.app_label, ct.model)
        if key not in rows:
            model = ct.model_class()
            if model is None:
                continue  # the model was removed; its permissions linger until cleaned up
            label = capfirst(model._meta.verbose_name_plural)
            if key == ("auth", "group"):
                label = capfirst(gettext_lazy("roles"))
            rows[key] = MatrixRow(str(label), f"{ct.app_label}.{ct.model}", dict.fromkeys(ACTIONS))
            section_label = str(APP_SECTIONS.get(ct.app_label) or model._meta.app_config.verbose_name)
            sections.setdefault(section_label, MatrixSection(section_label)).rows.append(rows[key])
        action = perm.codename.split("_", 1)[0]
        if action in ACTIONS and perm.codename == f"{action}_{ct.model}":
            rows[key].cells[action] = perm
        else:
            rows[key].others.append(perm)
    for section in sections.values():
        section.rows.sort(key=lambda r: r.label)
    return special, list(sections.values())


@login_required
@permission_required("auth.view_group", raise_exception=True)
def role_list(request):
    groups = roles_in_order().annotate(
        user_count=Count("user", distinct=True), permission_count=Count("permissions", distinct=True)
    )
    rows = []
    for group in groups:
        role = ROLE_BY_CODE.get(group.name)
        rows.append(
            {
                "group": group,
                "label": role_label(group.name),
                "description": role.description if role else "",
                "scope": SCOPE_LABELS.get(role.scope if role else Scope.ALL),
            }
        )
    return render(request, "accounts/role_list.html", {"title": _("Roles"), "rows": rows})


@login_required
@permission_required("auth.view_group", raise_exception=True)
def role_detail(request, pk: int):
    group = get_object_or_404(Group, pk=pk)
    can_change = request.user.has_perm("auth.change_group")
    offered = matrix_permissions()
    status = 200
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        by_pk = {p.pk: p for p in offered}
        try:
            checked = {int(v) for v in request.POST.getlist("permissions")}
        except ValueError:
            checked = None
        if checked is None or not checked <= by_pk.keys():
            messages.error(request, _("The form held a permission that does not exist. Reload the page and try again."))
            status = 400
        else:
            # Permissions the page does not show (Django internals) stay as they are.
            kept = list(group.permissions.exclude(pk__in=by_pk.keys()))
            try:
                added, removed = services.set_role_permissions(
                    group, kept + [by_pk[pk] for pk in checked], by=request.user
                )
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
                status = 400
            else:
                if added or removed:
                    messages.success(
                        request,
                        _("Permissions of %(role)s saved: %(added)d added, %(removed)d removed.")
                        % {"role": role_label(group.name), "added": len(added), "removed": len(removed)},
                    )
                else:
                    messages.info(request, _("Nothing changed."))
                return redirect("accounts:role_detail", pk=group.pk)
    granted = set(group.permissions.values_list("pk", flat=True))
    if status == 400:
        granted = {int(v) for v in request.POST.getlist("permissions") if v.isdigit()}
    special, sections = permission_matrix(offered)
    role = ROLE_BY_CODE.get(group.name)
    members = User.objects.filter(groups=group).order_by("username")
    context = {
        "title": role_label(group.name),
        "group": group,
        "role": role,
        "scope": SCOPE_LABELS.get(role.scope if role else Scope.ALL),
        "special": special,
        "sections": sections,
        "actions": [(a, ACTION_LABELS[a]) for a in ACTIONS],
        "granted": granted,
        "can_change": can_change,
        "members": list(members[:200]),
        "member_count": members.count(),
    }
    return render(request, "accounts/role_detail.html", context, status=status)
