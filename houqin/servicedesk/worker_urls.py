"""The worker's phone pages, /servicedesk/m/… (namespace "servicedesk", names worker_*)."""

from django.urls import path

from houqin.servicedesk import worker_views

urlpatterns = [
    path("m/", worker_views.jobs, name="worker_jobs"),
    path("m/jobs/<int:pk>/", worker_views.job, name="worker_job"),
    path("m/jobs/<int:pk>/<slug:action>/", worker_views.job_step, name="worker_step"),
    path("m/scan/", worker_views.scan, name="worker_scan"),
    path("m/me/", worker_views.me, name="worker_me"),
    path("m/me/duty/", worker_views.duty, name="worker_duty"),
]
