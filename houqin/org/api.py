"""Master data in the REST API: sites, locations, departments, companies, teams, trades, people,
certificates, the phone directory, and the caller lookup of the service desk's telephone."""

import re

from django.core.exceptions import PermissionDenied
from django.db.models import Q, Value
from django.db.models.functions import Replace
from django.utils.translation import gettext as _
from ninja import Query, Router

from houqin.core.api import InvalidInput, errors_for, register_crud, register_router
from houqin.org import schemas, specs
from houqin.org.models import DirectoryEntry, Person

sites = register_crud(Router(tags=["sites"]), specs.SITE, out=schemas.SiteOut)
locations = register_crud(
    Router(tags=["locations"]),
    specs.LOCATION,
    out=schemas.LocationOut,
    # A child location takes its parent's site when none is given.
    optional=("site",),
    description="`location=` filters a whole subtree.",
)
departments = register_crud(Router(tags=["departments"]), specs.DEPARTMENT, out=schemas.DepartmentOut)
companies = register_crud(Router(tags=["companies"]), specs.COMPANY, out=schemas.CompanyOut)
teams = register_crud(Router(tags=["teams"]), specs.TEAM, out=schemas.TeamOut)
trades = register_crud(Router(tags=["trades"]), specs.TRADE, out=schemas.TradeOut)
people = register_crud(Router(tags=["people"]), specs.PERSON, out=schemas.PersonOut)
certificates = register_crud(Router(tags=["certificates"]), specs.CERTIFICATE, out=schemas.CertificateOut)

directory = Router(tags=["directory"])

# Separators people type or paste in phone numbers, full-width ones included.
_SEPARATORS = str.maketrans("", "", " \t-().\u3000（）－")
_PHONE = re.compile(r"^\+?[0-9]{2,20}$")
MAX_CALLER_MATCHES = 20


def normalize_phone(raw: str) -> str:
    """ "+86 139-0000-0000" → "13900000000": no separators, no China country prefix (+86 / 0086)."""
    text = (raw or "").strip().translate(_SEPARATORS)
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def _without_separators(field: str):
    expression = field
    for separator in (" ", "-", "(", ")"):
        expression = Replace(expression, Value(separator), Value(""))
    return expression


def find_callers(phone: str, user) -> list[dict]:
    """Who a normalised number belongs to: phone directory entries first (the number exactly, or
    the number written with separators), else people whose mobile phone it is. Only what the
    user may see: entries need org.view_directoryentry, people org.view_person and scope."""
    matches: list[dict] = []
    if user.has_perm("org.view_directoryentry"):
        entries = (
            DirectoryEntry.objects.for_user(user)
            .filter(is_active=True)
            .annotate(bare_number=_without_separators("number"))
            .filter(Q(number=phone) | Q(bare_number=phone))
            .select_related("department", "location", "person")
            .order_by("number", "pk")[:MAX_CALLER_MATCHES]
        )
        for entry in entries:
            matches.append(
                {
                    "source": "directory",
                    "who": entry.label,
                    "department": entry.department,
                    "location": entry.location,
                    "person": entry.person,
                }
            )
    if not matches and user.has_perm("org.view_person"):
        people = (
            Person.objects.for_user(user)
            .filter(is_active=True)
            .annotate(bare_phone=_without_separators("phone"))
            .filter(Q(phone=phone) | Q(bare_phone=phone))
            .select_related("department")
            .order_by("employee_no", "pk")[:MAX_CALLER_MATCHES]
        )
        for person in people:
            matches.append(
                {
                    "source": "person",
                    "who": person.name,
                    "department": person.department,
                    "location": None,
                    "person": person,
                }
            )
    return matches


@directory.get(
    "/lookup",
    response={200: schemas.CallerLookupOut, **errors_for(400, 401, 403)},
    operation_id="lookup_caller",
    url_name="directory_lookup",
    summary="Look up a caller by phone number",
)
def lookup_caller(request, phone: str = Query(..., max_length=64, description="e.g. “+86 139-0000-0000” or “8123”")):
    """Who, which department and which location a phone number belongs to. Spaces, dashes,
    brackets and a leading +86 or 0086 are ignored. An unknown number answers 200 with no matches."""
    if not (request.user.has_perm("org.view_directoryentry") or request.user.has_perm("org.view_person")):
        raise PermissionDenied(_("You do not have permission to do this."))
    number = normalize_phone(phone)
    if not _PHONE.match(number):
        raise InvalidInput({"phone": [_("Enter a phone number or extension: digits, +, -, ( ) and spaces.")]})
    return {"phone": number, "matches": find_callers(number, request.user)}


register_crud(
    directory,
    specs.DIRECTORY_ENTRY,
    out=schemas.DirectoryEntryOut,
    description="Look numbers up with /directory/lookup?phone=.",
)

register_router("sites", sites)
register_router("locations", locations)
register_router("departments", departments)
register_router("companies", companies)
register_router("teams", teams)
register_router("trades", trades)
register_router("people", people)
register_router("certificates", certificates)
register_router("directory", directory)
