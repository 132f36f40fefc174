from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from houqin.api import api

urlpatterns = [
    path("", include("houqin.core.urls")),
    path("accounts/", include("houqin.accounts.urls")),
    path("org/", include("houqin.org.urls")),
    path("notifications/", include("houqin.notifications.urls")),
    path("servicedesk/", include("houqin.servicedesk.urls")),
    path("insight/", include("houqin.insight.urls")),
    path("performance/", include("houqin.performance.urls")),
    path("reports/", include("houqin.reports.urls")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("django-admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
