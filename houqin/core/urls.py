from django.urls import include, path

from houqin.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("q/<str:label_code>", views.label_redirect, name="label"),
    path("audit/", include("houqin.core.audit_urls")),
    path("imports/", include("houqin.core.import_urls")),
    path("exports/", include("houqin.core.export_urls")),
]
