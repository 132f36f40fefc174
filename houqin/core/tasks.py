"""Background imports: a file too large to import during the web request becomes an ImportJob,
which the task worker (`manage.py db_worker`) imports with the same machinery as the import page
(houqin/core/transfer.py: all or nothing, audit rows, an IMPORT security event), acting as the
user who uploaded it and speaking their language."""

import logging
import os
import socket

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from houqin.core.audit import current_ip
from houqin.core.models import ImportJob, ImportJobStatus
from houqin.core.transfer import ImportResult, TransferSpec, file_format, get_transfer, import_file

logger = logging.getLogger(__name__)

# A job keeps this many of its errors (with their total count); the page shows as many.
ERRORS_KEPT = 500


def queue_import_job(
    transfer: TransferSpec, content: bytes, *, filename: str, user, language: str = "", ip_address=None
) -> ImportJob:
    """Store an uploaded file as a queued ImportJob of user's and hand it to the task worker.

    The caller has checked the user's permissions and the file's size and type."""
    expire_import_jobs()
    # The job and its task are stored together: no job is left queued without a task.
    with transaction.atomic():
        job = ImportJob.objects.create(
            user=user,
            app_label=transfer.spec.app_label,
            list_slug=transfer.spec.slug,
            filename=filename[:255],
            file_format=file_format(filename),
            content=content,
            language=language or settings.LANGUAGE_CODE,
            ip_address=ip_address,
        )
        task_result = run_import_job.enqueue(job.pk)
        # The immediate backend (tests) has run the job already: keep what it wrote.
        ImportJob.objects.filter(pk=job.pk).update(task_id=str(task_result.id)[:64])
    return ImportJob.objects.defer("content").get(pk=job.pk)


@task()
def run_import_job(job_id: int) -> str:
    """Import a queued job's file; whatever happens, the job ends succeeded or failed."""
    job = ImportJob.objects.select_related("user").filter(pk=job_id).first()
    if job is None:
        logger.warning("import job %s does not exist", job_id)
        return "missing"
    if job.status != ImportJobStatus.QUEUED or not job.move(
        ImportJobStatus.RUNNING, started_at=timezone.now(), worker_host=socket.gethostname(), worker_pid=os.getpid()
    ):
        logger.warning("import job %s is %s, not queued: not run again", job_id, job.status)
        return job.status
    with translation.override(job.language or settings.LANGUAGE_CODE):
        ip_token = current_ip.set(job.ip_address)
        try:
            result = _import(job)
        except Exception:
            logger.exception("import job %s failed unexpectedly", job_id)
            result = ImportResult.refused(
                _("The import stopped because of an unexpected error; nothing was imported. Please try again later.")
            )
        except BaseException:
            # The worker is being stopped (a second Ctrl-C): the transaction was rolled back.
            _finish(job, ImportResult.refused(interrupted_message()))
            raise
        finally:
            current_ip.reset(ip_token)
        _finish(job, result)
    return job.status


def _import(job: ImportJob) -> ImportResult:
    transfer = get_transfer(job.app_label, job.list_slug)
    user = job.user
    # Permissions are checked again: a role may have been taken away since the upload.
    if not user.is_active or not user.has_perms(transfer.import_permissions()):
        return ImportResult.refused(_("You no longer have permission to import this list."))
    return import_file(transfer, ContentFile(bytes(job.content or b""), name=job.filename), user=user)


def _finish(job: ImportJob, result: ImportResult) -> None:
    errors = [{"row": e.row, "column": e.column, "message": e.message} for e in result.errors[:ERRORS_KEPT]]
    job.move(
        ImportJobStatus.SUCCEEDED if result.ok else ImportJobStatus.FAILED,
        rows=result.rows,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        errors=errors,
        error_count=len(result.errors),
        failed_rows=result.failed_rows,
    )


def interrupted_message() -> str:
    return _("The background worker stopped before the import finished; nothing was imported. Upload the file again.")


def never_started_message() -> str:
    return _("The background worker did not start this import within a week; nothing was imported.")


def fail_if_abandoned(job: ImportJob) -> None:
    """End a job whose worker is gone (see ImportJob.is_abandoned) as failed."""
    if job.is_abandoned():
        with translation.override(job.language or settings.LANGUAGE_CODE):
            job.move(
                ImportJobStatus.FAILED,
                errors=[{"row": None, "column": "", "message": interrupted_message()}],
                error_count=1,
            )


def expire_import_jobs() -> int:
    """Fail abandoned running jobs and jobs queued for longer than KEEP_FILE_FOR, and drop the file
    of any job older than that; returns how many jobs were changed. Run with every new job."""
    now = timezone.now()
    changed = 0
    running = ImportJob.objects.defer("content").filter(
        status=ImportJobStatus.RUNNING, started_at__lt=now - ImportJob.STALE_AFTER
    )
    for job in running:
        if job.is_abandoned(now):
            fail_if_abandoned(job)
            changed += 1
    for job in ImportJob.objects.defer("content").filter(
        status=ImportJobStatus.QUEUED, queued_at__lt=now - ImportJob.KEEP_FILE_FOR
    ):
        with translation.override(job.language or settings.LANGUAGE_CODE):
            message = never_started_message()
        changed += job.move(
            ImportJobStatus.FAILED, errors=[{"row": None, "column": "", "message": message}], error_count=1
        )
    changed += ImportJob.objects.filter(queued_at__lt=now - ImportJob.KEEP_FILE_FOR, content__isnull=False).update(
        content=None
    )
    return changed


@task()
def expire_import_jobs_periodically() -> int:
    """expire_import_jobs() (and the exports' expire_export_jobs()) as a task, for the scheduler
    (houqin/core/scheduler.py) to run hourly."""
    from houqin.core.exports import expire_export_jobs

    return expire_import_jobs() + expire_export_jobs()


__all__ = [
    "expire_import_jobs",
    "expire_import_jobs_periodically",
    "fail_if_abandoned",
    "queue_import_job",
    "run_import_job",
]


@task()
def purge_idempotency_records_periodically() -> int:
    """Forget Idempotency-Key answers older than a day, so the table stays small."""
    from houqin.core.api.idempotency import purge_idempotency_records

    return purge_idempotency_records()
