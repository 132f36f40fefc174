from django.urls import path, re_path

from houqin.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("generate/", views.generate, name="generate"),
    re_path(r"^(?P<month>\d{4}-\d{2})/(?P<kind>xlsx|pdf)/$", views.download, name="download"),
]
