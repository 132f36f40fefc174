"""Master data in the REST API: sites, locations, departments, companies, teams, trades, people,
certificates, the phone directory, and the caller lookup of the service desk's telephone."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Query, Router

from houqin.core.api import InvalidInput, errors_for, register_crud, register_router
from houqin.org import schemas, specs
from houqin.org.services import PHONE_PATTERN, find_callers, normalize_phone

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
    if not PHONE_PATTERN.match(number):
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
