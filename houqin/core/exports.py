"""Long exports in the background. A list of more than HOUQIN_EXPORT_SYNC_ROWS rows is not
written during the web request: it becomes an ExportJob, the task worker writes the file with
the same machinery (houqin/core/transfer.py: formula-safe cells, an EXPORT security event),
acting as the user who asked and in their language, and the user downloads it from the job's
page (core:export_job) for a day.

A list that may be long registers an *export source*: a name and a function that rebuilds the
rows from the user and the query parameters (so the worker sees exactly what the user's scope
and filters gave the page), e.g. the orders behind a KPI (houqin/insight/kpi_views.py)."""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from houqin.core.models import ExportJob, ImportJobStatus
from houqin.core.transfer import TransferSpec, export_file, file_response

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportRows:
    """What a source gives: the list's columns, its rows (scoped and filtered), the filters to
    record with the export, and a title for the job's page."""

    transfer: TransferSpec
    queryset: object
    filters: dict
    title: str
    list_url: str = ""  # the page of the list, for the job page's way back


SOURCES: dict[str, Callable] = {}


def register_export_source(name: str, rows: Callable) -> None:
    """rows(user, params: dict of lists) → ExportRows, raising ValidationError for bad params."""
    SOURCES[name] = rows


def sync_rows() -> int:
    return int(getattr(settings, "HOUQIN_EXPORT_SYNC_ROWS", 5000))


def export_or_queue(request, source: str, params: dict, fmt: str, rows: ExportRows) -> HttpResponse:
    """The file now, or, for more than sync_rows() rows, a queued job and a redirect to its page.
    `params` (lists per name) must let the source rebuild `rows` for the same user."""
    if rows.queryset.count() <= sync_rows():
        content, _count, filename = export_file(
            rows.transfer, rows.queryset, fmt=fmt, user=request.user, filters=rows.filters
        )
        return file_response(content, fmt, filename)
    job = queue_export_job(
        source,
        params,
        fmt=fmt,
        user=request.user,
        title=rows.title,
        list_url=rows.list_url,
        language=translation.get_language(),
    )
    return HttpResponseRedirect(job.get_absolute_url())


def queue_export_job(
    source: str, params: dict, *, fmt: str, user, title: str, list_url: str = "", language: str = ""
) -> ExportJob:
    expire_export_jobs()
    with transaction.atomic():
        job = ExportJob.objects.create(
            user=user,
            source=source,
            params=params,
            title=title[:200],
            list_url=list_url if list_url.startswith("/") and len(list_url) <= 1000 else "",
            filename="",
            file_format=fmt,
            language=language or settings.LANGUAGE_CODE,
        )
        task_result = run_export_job.enqueue(job.pk)
        # The immediate backend (tests) has run the job already: keep what it wrote.
        ExportJob.objects.filter(pk=job.pk).update(task_id=str(task_result.id)[:64])
    return ExportJob.objects.defer("content").get(pk=job.pk)


@task()
def run_export_job(job_id: int) -> str:
    """Write a queued job's file; whatever happens, the job ends succeeded or failed."""
    job = ExportJob.objects.select_related("user").defer("content").filter(pk=job_id).first()
    if job is None:
        logger.warning("export job %s does not exist", job_id)
        return "missing"
    if job.status != ImportJobStatus.QUEUED or not job.move(ImportJobStatus.RUNNING, started_at=timezone.now()):
        return job.status
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            build = SOURCES[job.source]
            rows = build(job.user, job.params)
            content, count, filename = export_file(
                rows.transfer, rows.queryset, fmt=job.file_format, user=job.user, filters=rows.filters
            )
        except Exception as error:  # noqa: BLE001  (the job must end, and say why)
            logger.exception("export job %s failed", job_id)
            job.move(ImportJobStatus.FAILED, error=_("The file could not be written: %(error)s") % {"error": error})
            return job.status
    job.move(ImportJobStatus.SUCCEEDED, content=content, rows=count, filename=filename)
    return job.status


def expire_export_jobs() -> int:
    """Drop the files of jobs older than ExportJob.KEEP_FOR, and fail jobs queued that long ago
    (the worker never took them). Returns how many jobs changed."""
    before = timezone.now() - ExportJob.KEEP_FOR
    changed = ExportJob.objects.filter(queued_at__lt=before, content__isnull=False).update(content=None)
    for job in ExportJob.objects.defer("content").filter(status=ImportJobStatus.QUEUED, queued_at__lt=before):
        with translation.override(job.language or settings.LANGUAGE_CODE):
            changed += job.move(ImportJobStatus.FAILED, error=_("The background worker never took this export."))
    return changed


__all__ = [
    "ExportRows",
    "export_or_queue",
    "expire_export_jobs",
    "queue_export_job",
    "register_export_source",
    "run_export_job",
    "sync_rows",
]
