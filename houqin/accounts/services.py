"""Account operations: user accounts, their roles and person link, passwords, role permissions.

Separation of duties (三权分立, as level-3 security protection 等保三级 expects) is enforced here
rather than in the views, so the UI, the API and management commands refuse the same things:

- nobody holds two of system administrator, security administrator and auditor;
- a security or system administrator never gets the audit trail (core.view_auditentry), neither
  through their own role nor through a second role;
- the auditor role only reads (view and export permissions), the system administrator role never
  manages accounts or roles;
- nobody but a superuser changes their own roles, adds rights to a role they hold, edits a
  superuser, or gives superuser status (the UI never does; `createsuperuser` does).

Every function writes an AuditEntry (never a password) and, where the auditor expects one, a
SecurityEvent, in the same transaction as the change. Security events name the acting user;
the account acted on is in the event's detail as "target".
"""

from collections.abc import Iterable

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from houqin.accounts.models import User
from houqin.accounts.roles import role_label
from houqin.core.audit import AuditAction, diff, record_change, record_security_event, snapshot
from houqin.core.models import SecurityEventKind

SYSTEM_ADMIN = "system_admin"
SECURITY_ADMIN = "security_admin"
AUDITOR = "auditor"
SEPARATED_ROLES = (SYSTEM_ADMIN, SECURITY_ADMIN, AUDITOR)
AUDIT_TRAIL = "core.view_auditentry"
EXPORT = "core.export_data"
# Rights that let their holder give rights: never for the system administrator.
ACCOUNT_ADMIN_PERMISSIONS = frozenset(
    {
        "accounts.add_user",
        "accounts.change_user",
        "accounts.delete_user",
        "auth.add_group",
        "auth.change_group",
        "auth.delete_group",
    }
)


def person_model():
    """org.Person, whose `user` field links a staff record to an account. Looked up in the app
    registry, like get_user_model(), because org sits above accounts and imports from it."""
    return apps.get_model("org", "Person")


def permission_code(permission: Permission) -> str:
    """The "app_label.codename" form that has_perm() and roles.py use."""
    return f"{permission.content_type.app_label}.{permission.codename}"


def _role_codes(groups: Iterable[Group]) -> list[str]:
    return sorted(group.name for group in groups)


def _forget_cached_rights(user: User) -> None:
    for attr in ("_role_codes", "_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(attr, None)


def _groups_with_audit_trail(groups: Iterable[Group]) -> list[Group]:
    app_label, codename = AUDIT_TRAIL.split(".")
    return list(
        Group.objects.filter(
            pk__in=[g.pk for g in groups],
            permissions__codename=codename,
            permissions__content_type__app_label=app_label,
        )
    )


def check_role_combination(roles: Iterable[Group]) -> None:
    """Refuse a set of roles that one person must not hold together (separation of duties)."""
    roles = list(roles)
    codes = {group.name for group in roles}
    separated = [code for code in SEPARATED_ROLES if code in codes]
    if len(separated) > 1:
        raise ValidationError(
            _("%(roles)s are separated duties: one person cannot hold them together. Give each to a different account.")
            % {"roles": _(" and ").join(role_label(code) for code in separated)},
            code="separated_duties",
        )
    for admin in (SECURITY_ADMIN, SYSTEM_ADMIN):
        if admin not in codes:
            continue
        readers = [g for g in _groups_with_audit_trail(roles) if g.name != admin]
        if readers:
            raise ValidationError(
                _("The role %(role)s can read the audit trail, so it cannot be given together with %(admin)s.")
                % {"role": role_label(readers[0].name), "admin": role_label(admin)},
                code="separated_duties",
            )


def check_may_manage(user: User, *, by: User) -> None:
    """Only a superuser changes a superuser's account."""
    if user.is_superuser and not by.is_superuser:
        raise PermissionDenied(_("Only a superuser can change a superuser's account."))


def _record_user_change(user: User, before: dict, *, by: User, note: str = "") -> None:
    changes = diff(before, snapshot(user))
    if changes or note:
        record_change(user, AuditAction.UPDATE, by=by, changes=changes, note=note)


@transaction.atomic
def create_user(
    *,
    username: str,
    password: str,
    name: str = "",
    email: str = "",
    language: str = "",
    roles: Iterable[Group] = (),
    person=None,
    by: User,
) -> User:
    """Create an active account with the given roles, optionally linked to a person.

    The caller validates the password against AUTH_PASSWORD_VALIDATORS (the forms do)."""
    roles = list(roles)
    check_role_combination(roles)
    user = User(username=username, first_name=name, email=email, language=language, is_active=True)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.set(roles)
    after = snapshot(user)
    record_change(
        user,
        AuditAction.CREATE,
        by=by,
        changes={k: [None, v] for k, v in after.items() if v not in (None, "", [], False)},
    )
    record_security_event(
        SecurityEventKind.USER_CREATED, user=by, detail={"target": user.username, "roles": _role_codes(roles)}
    )
    if person is not None:
        link_person(user, person, by=by)
    return user


@transaction.atomic
def update_user_roles(user: User, roles: Iterable[Group], *, by: User) -> bool:
    """Give the user exactly these roles. Answers whether anything changed."""
    check_may_manage(user, by=by)
    roles = list(roles)
    before = _role_codes(user.groups.all())
    after = _role_codes(roles)
    if before == after:
        return False
    if user.pk == by.pk and not by.is_superuser:
        raise ValidationError(
            _("You cannot change your own roles; another security administrator must do it."), code="own_roles"
        )
    check_role_combination(roles)
    user.groups.set(roles)
    _forget_cached_rights(user)
    record_change(user, AuditAction.UPDATE, by=by, changes={"groups": [before, after]})
    record_security_event(
        SecurityEventKind.ROLES_CHANGED, user=by, detail={"target": user.username, "before": before, "after": after}
    )
    return True


@transaction.atomic
def set_active(user: User, active: bool, *, by: User) -> bool:
    """Enable or disable an account (accounts are never deleted). Answers whether it changed."""
    check_may_manage(user, by=by)
    if user.is_active == active:
        return False
    if user.pk == by.pk and not active:
        raise ValidationError(_("You cannot disable your own account."), code="own_account")
    before = snapshot(user)
    user.is_active = active
    user.save(update_fields=["is_active"])
    _record_user_change(user, before, by=by)
    if not active:
        record_security_event(SecurityEventKind.USER_DISABLED, user=by, detail={"target": user.username})
    return True


@transaction.atomic
def link_person(user: User, person, *, by: User) -> bool:
    """Link the account to a person (who gives it its company, department and team), or unlink
    with person=None. A person has at most one account. Answers whether anything changed."""
    Person = person_model()
    check_may_manage(user, by=by)
    # Lock both rows: two administrators linking the same person at once must not both win.
    current = Person.objects.select_for_update().filter(user=user).first()
    if person is not None:
        person = Person.objects.select_for_update().get(pk=person.pk)
        if person.user_id not in (None, user.pk):
            raise ValidationError(
                _("%(person)s is already linked to the account %(username)s.")
                % {"person": person, "username": person.user.username},
                code="person_taken",
            )
    if (current.pk if current else None) == (person.pk if person else None):
        return False
    if current is not None:
        current.user = None
        current.save(update_fields=["user"])
        record_change(current, AuditAction.UPDATE, by=by, changes={"user": [str(user), None]})
    if person is not None:
        person.user = user
        person.save(update_fields=["user"])
        record_change(person, AuditAction.UPDATE, by=by, changes={"user": [None, str(user)]})
    record_change(
        user,
        AuditAction.UPDATE,
        by=by,
        changes={"person": [str(current) if current else None, str(person) if person else None]},
    )
    user.__dict__.pop("_role_codes", None)
    return True


@transaction.atomic
def update_user_details(user: User, *, name: str, email: str, language: str, by: User) -> bool:
    """Name, e-mail and language of an account. Answers whether anything changed."""
    check_may_manage(user, by=by)
    before = snapshot(user)
    if name != user.get_full_name():
        user.first_name, user.last_name = name, ""
    user.email = email
    user.language = language
    user.full_clean(exclude=["password", "username"])
    if not diff(before, snapshot(user)):
        return False
    user.save(update_fields=["first_name", "last_name", "email", "language"])
    _record_user_change(user, before, by=by)
    return True


@transaction.atomic
def save_user(
    user: User, *, name: str, email: str, language: str, roles: Iterable[Group], is_active: bool, person, by: User
) -> None:
    """The user edit page: every field in one transaction, each part audited by its service."""
    check_may_manage(user, by=by)
    update_user_details(user, name=name, email=email, language=language, by=by)
    update_user_roles(user, roles, by=by)
    link_person(user, person, by=by)
    set_active(user, is_active, by=by)


@transaction.atomic
def set_language(user: User, language: str) -> None:
    """The user's own choice of interface language, applied from their next request."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError({"language": _("Choose one of the offered languages.")})
    if user.language == language:
        return
    before = snapshot(user)
    user.language = language
    user.save(update_fields=["language"])
    _record_user_change(user, before, by=user)


def _store_password(user: User, password: str, *, by: User, note: str) -> None:
    user.set_password(password)
    user.save(update_fields=["password"])
    # The trail says that it changed, never what it is.
    record_change(user, AuditAction.UPDATE, by=by, note=note)
    detail = {} if by.pk == user.pk else {"target": user.username, "reset": True}
    record_security_event(SecurityEventKind.PASSWORD_CHANGED, user=by, detail=detail)


@transaction.atomic
def reset_password(user: User, password: str, *, by: User) -> None:
    """An administrator sets a new password for someone else (validated by the caller's form).
    The user's open sessions end, because Django ties sessions to the password hash."""
    check_may_manage(user, by=by)
    if user.pk == by.pk:
        raise ValidationError(_("Change your own password on your profile page."), code="own_password")
    _store_password(user, password, by=by, note=_("password reset by an administrator"))


@transaction.atomic
def change_own_password(user: User, password: str) -> None:
    """The user changed their own password (the caller checked the old one)."""
    _store_password(user, password, by=user, note=_("password changed by the user"))


@transaction.atomic
def unlock_user(user: User, *, by: User) -> int:
    """Forget the failed logins that locked the account (django-axes). Answers how many were cleared."""
    from axes.utils import reset

    check_may_manage(user, by=by)
    cleared = reset(username=user.username)
    if cleared:
        record_change(user, AuditAction.UPDATE, by=by, note=_("login lock lifted after failed logins"))
    return cleared


def _holders_of(group: Group) -> set[str]:
    """Role codes held together with this group by any of its members."""
    return set(Group.objects.filter(user__groups=group).exclude(pk=group.pk).values_list("name", flat=True).distinct())


def check_role_permissions(group: Group, codes: set[str], *, added: set[str], by: User) -> None:
    """Refuse permissions that would break the separation of duties."""
    role = group.name
    if AUDIT_TRAIL in codes and role in (SECURITY_ADMIN, SYSTEM_ADMIN):
        raise ValidationError(
            _("The %(role)s role cannot read the audit trail: auditing is a separate duty held by the auditor.")
            % {"role": role_label(role)},
            code="separated_duties",
        )
    if AUDIT_TRAIL in added:
        admins = _holders_of(group) & {SECURITY_ADMIN, SYSTEM_ADMIN}
        if admins:
            raise ValidationError(
                _(
                    "Some holders of %(role)s are also %(admin)s; they must not read the audit trail. "
                    "Take one of the two roles away from them first."
                )
                % {"role": role_label(role), "admin": role_label(sorted(admins)[0])},
                code="separated_duties",
            )
    if role == AUDITOR:
        changing = sorted(c for c in codes if c != EXPORT and not c.split(".", 1)[1].startswith("view_"))
        if changing:
            raise ValidationError(
                _("The auditor only reads: the auditor role cannot be given %(permissions)s.")
                % {"permissions": ", ".join(changing)},
                code="separated_duties",
            )
    if role == SYSTEM_ADMIN and codes & ACCOUNT_ADMIN_PERMISSIONS:
        raise ValidationError(
            _("Managing accounts and roles is the security administrator's duty, not the system administrator's."),
            code="separated_duties",
        )
    if added and not by.is_superuser and by.groups.filter(pk=group.pk).exists():
        raise ValidationError(
            _("You hold this role yourself, so you cannot add rights to it; you may only remove them."),
            code="own_role",
        )


@transaction.atomic
def set_role_permissions(group: Group, permissions: Iterable[Permission], *, by: User) -> tuple[list[str], list[str]]:
    """Give the role exactly these permissions. Answers (added, removed) as "app.codename" lists."""
    group = Group.objects.select_for_update().get(pk=group.pk)
    permissions = list(Permission.objects.filter(pk__in=[p.pk for p in permissions]).select_related("content_type"))
    before = {permission_code(p) for p in group.permissions.select_related("content_type")}
    after = {permission_code(p) for p in permissions}
    added, removed = sorted(after - before), sorted(before - after)
    if not added and not removed:
        return [], []
    check_role_permissions(group, after, added=set(added), by=by)
    group.permissions.set(permissions)
    record_change(group, AuditAction.UPDATE, by=by, changes={"permissions": [sorted(before), sorted(after)]})
    record_security_event(
        SecurityEventKind.PERMISSIONS_CHANGED, user=by, detail={"role": group.name, "added": added, "removed": removed}
    )
    return added, removed
