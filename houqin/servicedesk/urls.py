"""The service desk's pages under /servicedesk/ (namespace "servicedesk"): the catalog, the desk
console and dispatch board, the requester portal and the worker pages, one module each."""

from django.urls import include, path

app_name = "servicedesk"

urlpatterns = [
    path("", include("houqin.servicedesk.catalog_urls")),
    path("", include("houqin.servicedesk.desk_urls")),
    path("", include("houqin.servicedesk.portal_urls")),
    path("", include("houqin.servicedesk.worker_urls")),
]
