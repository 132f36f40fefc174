"""Import, export and template downloads of every master-data list, under /org/<list>/….

Included into the "org" namespace by houqin/org/urls.py: names "<slug>_import",
"<slug>_export" (?format=xlsx|csv plus the list's filters) and "<slug>_template" (?format=)."""

from django.urls import path

from houqin.core.transfer_views import ExportView, ImportView, TemplateView
from houqin.org.transfer import ORG_TRANSFERS

urlpatterns = []
for _transfer in ORG_TRANSFERS:
    _base = _transfer.spec.api_path or _transfer.spec.slug
    _slug = _transfer.spec.slug
    urlpatterns += [
        path(f"{_base}/import/", ImportView.as_view(transfer=_transfer), name=f"{_slug}_import"),
        path(f"{_base}/export/", ExportView.as_view(transfer=_transfer), name=f"{_slug}_export"),
        path(f"{_base}/template/", TemplateView.as_view(transfer=_transfer), name=f"{_slug}_template"),
    ]
