"""The columns of the master-data lists, and of the short related lists on detail pages."""

from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from houqin.core.generic import EMPTY, Column
from houqin.org.models import CompanyKind, DepartmentKind, EmploymentType, LocationKind

LOCATION_KIND_COLOURS = {
    LocationKind.CAMPUS: "purple",
    LocationKind.BUILDING: "blue",
    LocationKind.FLOOR: "grey",
    LocationKind.ROOM: "green",
    LocationKind.AREA: "yellow",
    LocationKind.BED: "orange",
}
DEPARTMENT_KIND_COLOURS = {
    DepartmentKind.CLINICAL: "blue",
    DepartmentKind.MEDTECH: "purple",
    DepartmentKind.NURSING: "green",
    DepartmentKind.ADMINISTRATIVE: "grey",
    DepartmentKind.LOGISTICS: "orange",
}
COMPANY_KIND_COLOURS = {CompanyKind.HOSPITAL: "green", CompanyKind.CONTRACTOR: "blue", CompanyKind.SUPPLIER: "purple"}
EMPLOYMENT_COLOURS = {
    EmploymentType.PERMANENT: "green",
    EmploymentType.CONTRACT: "blue",
    EmploymentType.DISPATCHED: "yellow",
    EmploymentType.OUTSOURCED: "grey",
}
# A certificate this close to expiry is flagged.
EXPIRY_WARNING_DAYS = 30


def days_left(certificate, user=None) -> str:
    """ "12 days", in orange within a month, "expired 3 days ago" in red."""
    days = certificate.days_left
    if days is None:
        return format_html('<span class="text-body-tertiary">{}</span>', _("no expiry"))
    if days < 0:
        text = ngettext("expired %(days)d day ago", "expired %(days)d days ago", -days) % {"days": -days}
        return format_html('<span class="hq-badge-red">{}</span>', text)
    if days == 0:
        return format_html('<span class="hq-badge-red">{}</span>', _("expires today"))
    text = ngettext("%(days)d day", "%(days)d days", days) % {"days": days}
    if days <= EXPIRY_WARNING_DAYS:
        return format_html('<span class="hq-badge-orange">{}</span>', text)
    return format_html("{}", text)


def expires_on(certificate, user=None) -> str:
    if certificate.expires_on is None:
        return EMPTY
    css = "text-danger fw-semibold" if certificate.days_left < 0 else ""
    return format_html('<span class="hq-nowrap {}">{}</span>', css, certificate.expires_on.isoformat())


def account(person, user=None) -> str:
    if person.user_id is None:
        return EMPTY
    icon = "person-check" if person.user.is_active else "person-slash"
    return format_html('<i class="bi bi-{} text-secondary" aria-hidden="true"></i> {}', icon, person.user.username)


def count(accessor: str, label) -> Column:
    return Column(accessor, label=label, css="num")


SITE_COLUMNS = [
    Column("code", link=True, sort="code"),
    Column("name", link=True, sort="name"),
    Column("short_name"),
    Column("address", wrap=True),
    Column("phone"),
    Column("beds", css="num"),
]

LOCATION_COLUMNS = [
    Column("code", link=True, sort="code"),
    Column("name", link=True, sort="name"),
    Column("kind", sort="kind", badges=LOCATION_KIND_COLOURS),
    Column("full_name", label=_("path"), sort="tree_path", wrap=True),
    Column("site"),
    Column("department"),
    Column("area_m2", css="num"),
]

DEPARTMENT_COLUMNS = [
    Column("code", link=True, sort="code"),
    Column("name", link=True, sort="name"),
    Column("kind", sort="kind", badges=DEPARTMENT_KIND_COLOURS),
    Column("cost_center", sort="cost_center"),
    Column("site"),
    Column("parent"),
    Column("phone"),
    Column("head"),
]

COMPANY_COLUMNS = [
    Column("code", link=True, sort="code"),
    Column("name", link=True, sort="name"),
    Column("kind", sort="kind", badges=COMPANY_KIND_COLOURS),
    Column("services", wrap=True),
    Column("contact_name"),
    Column("contact_phone"),
    count("staff_count", _("staff")),
]

TRADE_COLUMNS = [
    Column("code", link=True, sort="code"),
    Column("name", link=True, sort="name"),
    Column("description", wrap=True),
    Column("requires_certificate", kind="bool"),
]

TEAM_COLUMNS = [
    Column("code", link=True, sort="code"),
    Column("name", link=True, sort="name"),
    Column("company"),
    Column("site"),
    Column("trades", wrap=True),
    Column("leader"),
    Column("phone"),
    count("member_count", _("members")),
]

PERSON_COLUMNS = [
    Column("employee_no", link=True, sort="employee_no"),
    Column("name", link=True, sort="name"),
    Column("phone"),
    Column("company", wrap=True),  # contractors' names are long; the edit links must stay in view
    Column("department"),
    Column("team"),
    Column("trades", wrap=True),
    Column("employment_type", sort="employment_type", badges=EMPLOYMENT_COLOURS),
    Column("on_duty", sort="on_duty", kind="bool"),
    Column("user", label=_("account"), render=account),
]

CERTIFICATE_COLUMNS = [
    Column("name", link=True, sort="name", wrap=True),
    Column("number"),
    Column("person"),
    # Long company and issuer names wrap, so that "days left" stays on a 1366-pixel screen.
    Column("person.company", label=_("company"), wrap=True),
    Column("issuer", wrap=True),
    Column("issued_on"),
    Column("expires_on", sort="expires_on", render=expires_on),
    Column("days_left", label=_("days left"), render=days_left),
]

DIRECTORY_COLUMNS = [
    Column("number", link=True, sort="number"),
    Column("label", link=True, sort="label"),
    Column("department"),
    Column("location"),
    Column("person"),
    Column("note", wrap=True),
]

# Short lists on detail pages: fewer columns, the owner's column left out.
PEOPLE_IN_TEAM = [
    Column("employee_no", link=True),
    Column("name", link=True),
    Column("phone"),
    Column("trades", wrap=True),
    Column("employment_type", badges=EMPLOYMENT_COLOURS),
    Column("on_duty", kind="bool"),
]
PEOPLE_IN_COMPANY = [
    Column("employee_no", link=True),
    Column("name", link=True),
    Column("phone"),
    Column("team"),
    Column("trades", wrap=True),
    Column("on_duty", kind="bool"),
]
PEOPLE_IN_DEPARTMENT = [
    Column("employee_no", link=True),
    Column("name", link=True),
    Column("phone"),
    Column("company"),
    Column("job_title"),
]
PEOPLE_WITH_TRADE = [
    Column("employee_no", link=True),
    Column("name", link=True),
    Column("company"),
    Column("team"),
    Column("on_duty", kind="bool"),
]
TEAMS_SHORT = [
    Column("code", link=True),
    Column("name", link=True),
    Column("company"),
    Column("site"),
    Column("leader"),
]
TRADES_SHORT = [
    Column("code", link=True),
    Column("name", link=True),
    Column("requires_certificate", kind="bool"),
]
LOCATIONS_SHORT = [
    Column("code", link=True),
    Column("name", link=True),
    Column("kind", badges=LOCATION_KIND_COLOURS),
    Column("department"),
]
DEPARTMENTS_SHORT = [
    Column("code", link=True),
    Column("name", link=True),
    Column("kind", badges=DEPARTMENT_KIND_COLOURS),
    Column("cost_center"),
    Column("phone"),
]
CERTIFICATES_OF_PERSON = [
    Column("name", link=True),
    Column("number"),
    Column("issuer"),
    Column("issued_on"),
    Column("expires_on", render=expires_on),
    Column("days_left", label=_("days left"), render=days_left),
]
PHONE_NUMBERS_SHORT = [
    Column("number", link=True),
    Column("label", link=True),
    Column("location"),
    Column("person"),
]
