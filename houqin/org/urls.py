from django.urls import include, path

from houqin.core.generic import ObjectDeleteView, ObjectEditView
from houqin.org import specs, views

app_name = "org"


def model_pages(prefix: str, spec, list_view, detail_view) -> list:
    """List, detail, add, edit and delete of one model: "<slug>_list", "<slug>_detail"…"""
    slug = spec.slug
    return [
        path(f"{prefix}/", list_view.as_view(), name=f"{slug}_list"),
        path(f"{prefix}/add/", ObjectEditView.as_view(spec=spec), name=f"{slug}_add"),
        path(f"{prefix}/<int:pk>/", detail_view.as_view(), name=f"{slug}_detail"),
        path(f"{prefix}/<int:pk>/edit/", ObjectEditView.as_view(spec=spec), name=f"{slug}_edit"),
        path(f"{prefix}/<int:pk>/delete/", ObjectDeleteView.as_view(spec=spec), name=f"{slug}_delete"),
    ]


urlpatterns = [
    # Tree, move, pickers and QR labels of locations; import/export of every model.
    path("", include("houqin.org.location_urls")),
    path("", include("houqin.org.transfer_urls")),
    path("certificates/expiring/", views.certificates_expiring, name="certificate_expiring"),
    *model_pages("sites", specs.SITE, views.SiteListView, views.SiteDetailView),
    *model_pages("locations", specs.LOCATION, views.LocationListView, views.LocationDetailView),
    *model_pages("departments", specs.DEPARTMENT, views.DepartmentListView, views.DepartmentDetailView),
    *model_pages("companies", specs.COMPANY, views.CompanyListView, views.CompanyDetailView),
    *model_pages("trades", specs.TRADE, views.TradeListView, views.TradeDetailView),
    *model_pages("teams", specs.TEAM, views.TeamListView, views.TeamDetailView),
    *model_pages("people", specs.PERSON, views.PersonListView, views.PersonDetailView),
    *model_pages("certificates", specs.CERTIFICATE, views.CertificateListView, views.CertificateDetailView),
    *model_pages("directory", specs.DIRECTORY_ENTRY, views.DirectoryEntryListView, views.DirectoryEntryDetailView),
]
