"""URLs of the dashboard pages: the director's dashboard at /insight/ ("insight:dashboard")."""

from django.urls import path

from houqin.insight import dashboard_views

urlpatterns = [
    path("", dashboard_views.dashboard, name="dashboard"),
]
