"""The service catalog's pages under /servicedesk/catalog/: list, detail, add, edit, delete, and
its import, export and template files. Included into the "servicedesk" namespace by urls.py:
names "servicecategory_list", "_detail", "_add", "_edit", "_delete", "_import", "_export",
"_template"."""

from django.urls import path

from houqin.core.generic import ObjectDeleteView
from houqin.core.transfer_views import ExportView, ImportView, TemplateView
from houqin.servicedesk import catalog_views, specs
from houqin.servicedesk.transfer import SERVICE_CATEGORY as CATALOG_FILES

SLUG = specs.SERVICE_CATEGORY.slug

urlpatterns = [
    path("catalog/", catalog_views.ServiceCategoryListView.as_view(), name=f"{SLUG}_list"),
    path("catalog/add/", catalog_views.ServiceCategoryEditView.as_view(), name=f"{SLUG}_add"),
    path("catalog/<int:pk>/", catalog_views.ServiceCategoryDetailView.as_view(), name=f"{SLUG}_detail"),
    path("catalog/<int:pk>/edit/", catalog_views.ServiceCategoryEditView.as_view(), name=f"{SLUG}_edit"),
    path("catalog/<int:pk>/delete/", ObjectDeleteView.as_view(spec=specs.SERVICE_CATEGORY), name=f"{SLUG}_delete"),
    path("catalog/import/", ImportView.as_view(transfer=CATALOG_FILES), name=f"{SLUG}_import"),
    path("catalog/export/", ExportView.as_view(transfer=CATALOG_FILES), name=f"{SLUG}_export"),
    path("catalog/template/", TemplateView.as_view(transfer=CATALOG_FILES), name=f"{SLUG}_template"),
]
