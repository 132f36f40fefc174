"""The performance pages under /performance/ (namespace "performance")."""

from django.urls import path

from houqin.performance import views

app_name = "performance"
urlpatterns = [
    path("", views.ranking, name="ranking"),
    path("workers/<str:ref>/", views.worker, name="worker"),
    path("weights/", views.weights, name="weights"),
    path("export.xlsx", views.export_xlsx, name="export"),
    path("me/", views.mine, name="mine"),
]
