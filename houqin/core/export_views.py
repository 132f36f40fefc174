"""Pages of background exports (houqin/core/exports.py), under /exports/: "core:export_job" (pk)
shows a job's status, asking for itself again every 2 s while it waits or runs (htmx), and
"core:export_job_file" (pk) downloads the file. Only the user who asked sees either: 404 for
anyone else."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from houqin.core.models import ExportJob, ImportJobStatus
from houqin.core.transfer import file_response


@login_required
def export_job(request, pk: int):
    job = get_object_or_404(ExportJob.for_user(request.user), pk=pk)
    context = {
        "title": _("Export: %(title)s") % {"title": job.title},
        "breadcrumbs": [
            {"label": _("Home"), "url": reverse("core:home")},
            *([{"label": job.title, "url": job.list_url}] if job.list_url else []),
            {"label": _("Export"), "url": None},
        ],
        "job": job,
        "file_url": reverse("core:export_job_file", args=[job.pk])
        if job.status == ImportJobStatus.SUCCEEDED and not job.expired
        else "",
    }
    template = "core/export_job.html"
    if getattr(request, "htmx", False):
        template += "#status"
    return render(request, template, context)


@login_required
def export_job_file(request, pk: int):
    job = get_object_or_404(ExportJob.for_user(request.user), pk=pk, status=ImportJobStatus.SUCCEEDED)
    content = ExportJob.objects.filter(pk=job.pk).values_list("content", flat=True).first()
    if content is None or job.expired:
        raise Http404(_("This file is no longer kept: export the list again."))
    return file_response(bytes(content), job.file_format, job.filename)
