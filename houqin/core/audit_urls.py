"""The auditor's pages, included by houqin/core/urls.py under /audit/ (URL names in the "core" namespace)."""

from django.urls import path

from houqin.core import audit_views

urlpatterns = [
    path("changes/", audit_views.audit_list, name="audit_list"),
    path("changes/export/", audit_views.audit_export, name="audit_export"),
    path("security-events/", audit_views.security_event_list, name="security_event_list"),
    path("security-events/export/", audit_views.security_event_export, name="security_event_export"),
]
