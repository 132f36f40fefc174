from houqin.core.specs import ModelSpec, register_spec
from houqin.org import filters, forms, models, services

SITE = register_spec(ModelSpec(models.Site, forms.SiteForm, filters.SiteFilterSet, "site", "sites"))
LOCATION = register_spec(
    ModelSpec(
        models.Location,
        forms.LocationForm,
        filters.LocationFilterSet,
        "location",
        "locations",
        select_related=("site", "parent", "department"),
        sortable=("code", "name", "kind", "tree_path"),
        # The API and imports save through it, so that a new parent moves the subtree like the move page.
        extra={"save": services.save_location},
    )
)
DEPARTMENT = register_spec(
    ModelSpec(
        models.Department,
        forms.DepartmentForm,
        filters.DepartmentFilterSet,
        "department",
        "departments",
        select_related=("site", "parent"),
        sortable=("code", "name", "kind", "cost_center"),
    )
)
COMPANY = register_spec(
    ModelSpec(
        models.Company,
        forms.CompanyForm,
        filters.CompanyFilterSet,
        "company",
        "companies",
        sortable=("code", "name", "kind"),
    )
)
TRADE = register_spec(ModelSpec(models.Trade, forms.TradeForm, filters.TradeFilterSet, "trade", "trades"))
TEAM = register_spec(
    ModelSpec(
        models.Team,
        forms.TeamForm,
        filters.TeamFilterSet,
        "team",
        "teams",
        select_related=("company", "site", "leader"),
        prefetch_related=("trades",),
    )
)
PERSON = register_spec(
    ModelSpec(
        models.Person,
        forms.PersonForm,
        filters.PersonFilterSet,
        "person",
        "people",
        select_related=("company", "department", "team", "user"),
        prefetch_related=("trades",),
        sortable=("employee_no", "name", "employment_type", "on_duty"),
    )
)
CERTIFICATE = register_spec(
    ModelSpec(
        models.Certificate,
        forms.CertificateForm,
        filters.CertificateFilterSet,
        "certificate",
        "certificates",
        select_related=("person", "person__company"),
        sortable=("expires_on", "name"),
    )
)
DIRECTORY_ENTRY = register_spec(
    ModelSpec(
        models.DirectoryEntry,
        forms.DirectoryEntryForm,
        filters.DirectoryEntryFilterSet,
        "directoryentry",
        "directory",
        select_related=("department", "location", "person"),
        sortable=("number", "label"),
    )
)
