"""The roles of houqin, their default permissions and the scope each one works in.

A role is a Django auth Group named by the role's code; its permissions are ordinary model
permissions, which the security admin may change in the UI. docs/roles.md shows the matrix.
"""

import fnmatch
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _


class Scope:
    """How far a role's view reaches beyond its permissions."""

    ALL = "all"  # every record the permissions allow
    COMPANY = "company"  # only records of the person's own company (contractor manager)
    DEPARTMENT = "department"  # only records of the person's own department (requester)


@dataclass(frozen=True)
class Role:
    code: str
    label: str
    description: str
    scope: str = Scope.ALL
    permissions: tuple[str, ...] = field(default_factory=tuple)


MASTER_DATA_MODELS = (
    "site",
    "location",
    "department",
    "company",
    "team",
    "trade",
    "person",
    "certificate",
    "directoryentry",
)


def _perms(actions: str, *models: str, app: str = "org") -> tuple[str, ...]:
    return tuple(f"{app}.{action}_{model}" for action in actions.split() for model in models)


VIEW_MASTER_DATA = _perms("view", *MASTER_DATA_MODELS)
SD = "servicedesk"
VIEW_CATALOG = _perms("view", "servicecategory", "slatarget", app=SD)
SEE_ALL_ORDERS = ("servicedesk.view_workorder", "servicedesk.view_all_workorders")
READ_DELIVERY_LOG = ("notifications.view_outboxmessage", "notifications.view_deliverylog")
# Figures: the KPI pages and API, dashboards; performance (绩效) of teams and workers; monthly reports.
SEE_KPIS = ("insight.view_kpis",)
MANAGE_DISPLAYS = _perms("view add change delete", "displayscreen", app="insight")
SEE_PERFORMANCE = ("performance.view_performance", "performance.view_scoreweights")
READ_REPORTS = ("reports.view_monthlyreport",)

ROLES: tuple[Role, ...] = (
    Role(
        "system_admin",
        _("System administrator"),
        _("Maintains master data and system settings. Cannot grant rights or read the audit trail."),
        permissions=_perms("view add change delete", *MASTER_DATA_MODELS)
        + ("core.export_data",)
        + _perms("view add change delete", "servicecategory", "slatarget", app=SD)
        + _perms("view add change delete", "channelconfig", app="notifications")
        + READ_DELIVERY_LOG,
        # No wall displays: a display token shows live figures this role may not see.
    ),
    Role(
        "security_admin",
        _("Security administrator"),
        _("Creates user accounts, assigns roles and edits role permissions; watches security events."),
        permissions=(
            "accounts.view_user",
            "accounts.add_user",
            "accounts.change_user",
            "auth.view_group",
            "auth.change_group",
            "core.view_securityevent",
            "org.view_person",
        ),
    ),
    Role(
        "auditor",
        _("Auditor"),
        _("Reads every change and every security event, and exports them as evidence. Changes nothing."),
        # Exporting the trail is part of auditing (evidence for an inspection, an archive off the
        # server); every export is itself a security event.
        permissions=(
            "core.view_auditentry",
            "core.view_securityevent",
            "core.export_data",
            "accounts.view_user",
            "auth.view_group",
        )
        + VIEW_MASTER_DATA
        + VIEW_CATALOG
        + SEE_ALL_ORDERS
        + READ_DELIVERY_LOG
        + SEE_KPIS
        + SEE_PERFORMANCE
        + READ_REPORTS,
    ),
    Role(
        "director",
        _("Logistics director"),
        _("Sees everything of the logistics department, its figures and reports."),
        permissions=VIEW_MASTER_DATA
        + ("core.export_data",)
        + VIEW_CATALOG
        + SEE_ALL_ORDERS
        + ("servicedesk.assess_workorder",)
        + SEE_KPIS
        + MANAGE_DISPLAYS
        + SEE_PERFORMANCE
        + ("performance.change_scoreweights",)
        + READ_REPORTS
        + ("reports.add_monthlyreport",),
    ),
    Role(
        "agent",
        _("Service desk agent"),
        _("Answers the single service hotline, records and dispatches requests, calls back."),
        permissions=VIEW_MASTER_DATA
        + _perms("add change", "directoryentry")
        + VIEW_CATALOG
        + SEE_ALL_ORDERS
        + _perms("add change dispatch follow_up", "workorder", app=SD),
    ),
    Role(
        "dispatcher",
        _("Dispatcher / team leader"),
        _("Assigns and re-balances the work of a team; sets its people on or off duty."),
        permissions=VIEW_MASTER_DATA
        + _perms("change", "person")
        + ("core.export_data",)
        + VIEW_CATALOG
        + SEE_ALL_ORDERS
        + _perms("add change dispatch work", "workorder", app=SD)
        + SEE_KPIS
        + SEE_PERFORMANCE,
    ),
    Role(
        "worker",
        _("Worker"),
        _("Receives jobs on a mobile phone, works them and reports the result."),
        permissions=_perms("view", "site", "location", "department", "directoryentry")
        + VIEW_CATALOG
        + _perms("view work", "workorder", app=SD),
    ),
    Role(
        "contractor_manager",
        _("Contractor manager"),
        _("Project manager of an outsourced company: sees and keeps only its own company's staff and figures."),
        scope=Scope.COMPANY,
        permissions=_perms("view", "site", "location", "department", "trade", "company", "team")
        + _perms("view add change", "person", "certificate")
        + ("core.export_data",)
        + VIEW_CATALOG
        + _perms("view work", "workorder", app=SD)
        + SEE_KPIS
        + SEE_PERFORMANCE,
    ),
    Role(
        "inspector",
        _("Quality inspector"),
        _("Inspects services, calls requesters back and scores contractors."),
        permissions=VIEW_MASTER_DATA
        + ("core.export_data",)
        + VIEW_CATALOG
        + SEE_ALL_ORDERS
        + _perms("follow_up assess", "workorder", app=SD)
        + SEE_KPIS
        + SEE_PERFORMANCE
        + READ_REPORTS,
    ),
    Role(
        "department_user",
        _("Department user"),
        _("Clinical or other department staff who report needs and follow their own department's requests."),
        scope=Scope.DEPARTMENT,
        permissions=_perms("view", "site", "location", "department", "directoryentry")
        + VIEW_CATALOG
        + _perms("view add", "workorder", app=SD),
    ),
)

ROLE_BY_CODE = {role.code: role for role in ROLES}

# When a user holds several roles, the widest scope wins.
_SCOPE_ORDER = {Scope.ALL: 0, Scope.COMPANY: 1, Scope.DEPARTMENT: 2}


def role_label(code: str) -> str:
    role = ROLE_BY_CODE.get(code)
    return str(role.label) if role else code


def scope_of(user) -> str:
    """The widest scope among the user's roles; superusers and users with no role see all their
    permissions allow (permissions still apply)."""
    if user.is_superuser:
        return Scope.ALL
    codes = user.role_codes
    scopes = [ROLE_BY_CODE[c].scope for c in codes if c in ROLE_BY_CODE]
    if not scopes:
        return Scope.ALL
    return min(scopes, key=_SCOPE_ORDER.__getitem__)


def _matching_permissions(pattern: str, permission_model):
    app_label, codename = pattern.split(".", 1)
    qs = permission_model.objects.filter(content_type__app_label=app_label)
    if any(ch in codename for ch in "*?["):
        return [p for p in qs if fnmatch.fnmatchcase(p.codename, codename)]
    return list(qs.filter(codename=codename))


def sync_roles(using: str = "default", app_label: str | None = None) -> None:
    """Create missing role groups and give each the default permissions it has never had.

    A default once given is remembered (RoleDefaultGrant), so a permission the security admin
    removed stays removed; permissions that appear with a new feature are added."""
    from django.contrib.auth.models import Group, Permission

    from houqin.accounts.models import RoleDefaultGrant

    for role in ROLES:
        group, _created = Group.objects.using(using).get_or_create(name=role.code)
        already = set(RoleDefaultGrant.objects.using(using).filter(group=group).values_list("permission", flat=True))
        for pattern in role.permissions:
            if pattern in already or (app_label and not pattern.startswith(app_label + ".")):
                continue
            perms = _matching_permissions(pattern, Permission.objects.db_manager(using).model)
            if not perms:
                continue  # the model arrives with a later migration; try again then
            group.permissions.add(*perms)
            RoleDefaultGrant.objects.using(using).create(group=group, permission=pattern)
