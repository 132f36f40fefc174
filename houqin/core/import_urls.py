"""Pages of background imports, included by houqin/core/urls.py under /imports/ (URL names in the
"core" namespace): "import_job" (pk) shows one job's status and result."""

from django.urls import path

from houqin.core.transfer_views import ImportJobView

urlpatterns = [
    path("<int:pk>/", ImportJobView.as_view(), name="import_job"),
]
