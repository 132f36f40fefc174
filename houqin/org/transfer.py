"""The columns of every master-data list's Excel and CSV files (see docs/import-formats.md).

Related records are written and read by business code: a location's parent and site by code,
a person's team by code, a team's leader by employee number, trades as codes separated by
commas. The order of the columns is the order in the files."""

from django.utils.translation import gettext_lazy as _

from houqin.core.transfer import Column, TransferSpec, register_transfer
from houqin.org import specs
from houqin.org.models import CompanyKind, DepartmentKind, EmploymentType, Gender, LocationKind

ACTIVE = Column("is_active", example=True, help_text=_("No: the record is kept but no longer offered for new entries."))

SITE = register_transfer(
    TransferSpec(
        specs.SITE,
        (
            Column("code", example="MAIN"),
            Column("name", example=_("Main campus")),
            Column("short_name", example=_("Main")),
            Column("address", example=_("1 Hospital Road")),
            Column("phone", example="010-12345678"),
            Column("beds", example=1500),
            ACTIVE,
        ),
    )
)

LOCATION = register_transfer(
    TransferSpec(
        specs.LOCATION,
        (
            Column("code", example="A1-3F-312"),
            Column("name", example=_("Room 312")),
            Column("kind", example=LocationKind.ROOM),
            Column(
                "parent",
                example="A1-3F",
                help_text=_(
                    "Empty for a campus, building or area at the top. A parent may be a row above in the same file."
                ),
            ),
            Column("site", required=False, example="MAIN", help_text=_("Empty: the parent's site.")),
            Column("department", example="XNK"),
            Column("area_m2", example="24.5"),
            ACTIVE,
        ),
    )
)

DEPARTMENT = register_transfer(
    TransferSpec(
        specs.DEPARTMENT,
        (
            Column("code", example="XNK"),
            Column("name", example=_("Cardiology")),
            Column("kind", example=DepartmentKind.CLINICAL),
            Column("cost_center", example="CC1001"),
            Column("site", example="MAIN"),
            Column("parent", example="NK", help_text=_("A parent may be a row above in the same file.")),
            Column("phone", example="8001"),
            Column("head", example=_("Dr. Wang")),
            ACTIVE,
        ),
    )
)

COMPANY = register_transfer(
    TransferSpec(
        specs.COMPANY,
        (
            Column("code", example="CLEAN"),
            Column("name", example=_("Example Cleaning Services Ltd.")),
            Column("kind", example=CompanyKind.CONTRACTOR),
            Column("credit_code", example="91110000MA01ABCD2X"),
            Column("services", example=_("Cleaning, portering")),
            Column("contact_name", example=_("Manager Li")),
            Column("contact_phone", example="13800000000"),
            ACTIVE,
        ),
    )
)

TRADE = register_transfer(
    TransferSpec(
        specs.TRADE,
        (
            Column("code", example="ELEC"),
            Column("name", example=_("Electrician")),
            Column("description", example=_("Low-voltage electrical work")),
            Column("requires_certificate", example=True),
            ACTIVE,
        ),
    )
)

TEAM = register_transfer(
    TransferSpec(
        specs.TEAM,
        (
            Column("code", example="ELEC-1"),
            Column("name", example=_("Electrical team 1")),
            Column("company", example="HOSP"),
            Column("site", example="MAIN"),
            Column("trades", example="ELEC, PLUMB"),
            Column(
                "leader",
                example="E00012",
                help_text=_(
                    "Employee number of a member of the team: import the team, then its people, then the leaders."
                ),
            ),
            Column("phone", example="8120"),
            ACTIVE,
        ),
    )
)

PERSON = register_transfer(
    TransferSpec(
        specs.PERSON,
        (
            Column("employee_no", example="E00012"),
            Column("name", example=_("Zhang San")),
            Column("gender", example=Gender.MALE),
            Column("phone", example="13900000000"),
            Column("company", example="HOSP"),
            Column("department", example="ZWK"),
            Column("team", example="ELEC-1", help_text=_("A team of the same company.")),
            Column("trades", example="ELEC"),
            Column("employment_type", example=EmploymentType.PERMANENT),
            Column("job_title", example=_("Electrician")),
            Column("hired_on", example="2021-03-01"),
            Column("on_duty", example=True),
            ACTIVE,
        ),
    )
)

CERTIFICATE = register_transfer(
    TransferSpec(
        specs.CERTIFICATE,
        (
            Column("person", example="E00012"),
            Column(
                "person_name", label=_("person name"), export_only=True, source="person.name", example=_("Zhang San")
            ),
            Column("name", example=_("Low-voltage electrician license")),
            Column(
                "number",
                example="T110101199001011234",
                help_text=_("Part of what finds the certificate: the column must be there, the cell may be empty."),
            ),
            Column("issuer", example=_("Emergency Management Bureau")),
            Column("issued_on", example="2022-05-01"),
            Column("expires_on", example="2028-04-30"),
        ),
        # A certificate has no code of its own: the holder, the certificate's name and its
        # number together find the row to update.
        key=("person", "name", "number"),
    )
)

DIRECTORY_ENTRY = register_transfer(
    TransferSpec(
        specs.DIRECTORY_ENTRY,
        (
            Column("number", example="8001"),
            Column("label", example=_("Cardiology nurses' station")),
            Column("department", example="XNK"),
            Column("location", example="A1-3F-312"),
            Column("person", example="E00012"),
            Column("note", example=_("Answered around the clock")),
            ACTIVE,
        ),
    )
)

ORG_TRANSFERS = (SITE, LOCATION, DEPARTMENT, COMPANY, TRADE, TEAM, PERSON, CERTIFICATE, DIRECTORY_ENTRY)
