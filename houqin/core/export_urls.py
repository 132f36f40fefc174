"""Pages of background exports, included by houqin/core/urls.py under /exports/ (URL names in the
"core" namespace): "export_job" (pk) and its file, "export_job_file" (pk)."""

from django.urls import path

from houqin.core.export_views import export_job, export_job_file

urlpatterns = [
    path("<int:pk>/", export_job, name="export_job"),
    path("<int:pk>/file", export_job_file, name="export_job_file"),
]
