"""Large imports run as background jobs: the upload, the task, the job page and abandoned jobs.

Tests run tasks with the immediate backend (houqin/test_settings.py), so an enqueued job has
already ended when the upload answers; HOUQIN_IMPORT_SYNC_ROWS is lowered to keep files small."""

import csv
import datetime
import io
import logging
import os
import socket
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from houqin.core import tasks
from houqin.core.models import AuditEntry, ImportJob, ImportJobStatus, SecurityEvent, SecurityEventKind
from houqin.core.tasks import expire_import_jobs, run_import_job
from houqin.org.models import Trade
from houqin.org.tests.factories import TradeFactory


@pytest.fixture(autouse=True)
def small_threshold(settings):
    settings.HOUQIN_IMPORT_SYNC_ROWS = 3


def trades_csv(*rows, name="trades.csv", header=("code", "name")) -> SimpleUploadedFile:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([header, *rows])
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8-sig"))


FIVE_TRADES = [(f"T{i}", f"工种{i}") for i in range(1, 6)]


def upload(client, file, **kwargs):
    return client.post(reverse("org:trade_import"), {"file": file}, **kwargs)


def queued_job(user, *rows, language="zh-hans", **fields) -> ImportJob:
    content = trades_csv(*(rows or FIVE_TRADES)).read()
    return ImportJob.objects.create(
        user=user,
        app_label="org",
        list_slug="trade",
        filename="trades.csv",
        file_format="csv",
        content=content,
        language=language,
        **fields,
    )


def job_page(client, job, **kwargs):
    return client.get(reverse("core:import_job", kwargs={"pk": job.pk}), **kwargs)


# --- the upload --------------------------------------------------------------------------------


def test_a_file_over_the_threshold_becomes_a_job_that_imports_it(cast, client_for):
    response = upload(client_for(cast.system_admin), trades_csv(*FIVE_TRADES))

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("core:import_job", kwargs={"pk": job.pk})
    assert job.user == cast.system_admin
    assert (job.app_label, job.list_slug, job.filename, job.file_format) == ("org", "trade", "trades.csv", "csv")
    assert job.status == ImportJobStatus.SUCCEEDED
    assert (job.rows, job.created, job.updated, job.unchanged) == (5, 5, 0, 0)
    assert job.errors == [] and job.error_count == 0
    assert job.started_at and job.finished_at and job.task_id
    assert job.content is None  # the file is not kept once the job ended
    assert sorted(Trade.objects.values_list("code", flat=True)) == ["T1", "T2", "T3", "T4", "T5"]


def test_a_job_leaves_the_same_trail_as_an_import_in_the_request(cast, client_for):
    upload(client_for(cast.system_admin), trades_csv(*FIVE_TRADES), REMOTE_ADDR="10.1.2.3")

    entries = AuditEntry.objects.filter(note="import")
    assert entries.count() == 5
    assert {(e.actor, e.ip_address) for e in entries} == {(cast.system_admin, "10.1.2.3")}
    event = SecurityEvent.objects.get(kind=SecurityEventKind.IMPORT)
    assert (event.user, event.ip_address) == (cast.system_admin, "10.1.2.3")
    assert event.detail["created"] == 5 and event.detail["file"] == "trades.csv"


def test_a_file_within_the_threshold_is_imported_during_the_request(cast, client_for):
    response = upload(client_for(cast.system_admin), trades_csv(*FIVE_TRADES[:3]))

    assert response.status_code == 200
    assert response.context["result"].created == 3
    assert not ImportJob.objects.exists()


def test_htmx_is_sent_to_the_job_page_by_header(cast, client_for):
    response = upload(client_for(cast.system_admin), trades_csv(*FIVE_TRADES), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response["HX-Redirect"] == ImportJob.objects.get().get_absolute_url()


def test_a_large_file_with_wrong_headers_is_answered_at_once(cast, client_for):
    response = upload(client_for(cast.system_admin), trades_csv(*FIVE_TRADES, header=("code", "colour")))

    assert response.status_code == 200
    assert (1, "colour") in [(e.row, e.column) for e in response.context["result"].errors]
    assert not ImportJob.objects.exists()


def test_an_unreadable_large_file_is_answered_at_once(cast, client_for):
    response = upload(client_for(cast.system_admin), SimpleUploadedFile("trades.xlsx", b"code,name\n" * 10))

    assert response.status_code == 200
    assert not response.context["result"].ok
    assert not ImportJob.objects.exists()


def test_a_job_with_a_bad_row_ends_with_its_errors_and_writes_nothing(cast, client_for):
    client = client_for(cast.system_admin)
    upload(client, trades_csv(*FIVE_TRADES[:4], ("T5", "")))

    job = ImportJob.objects.get()
    assert job.status == ImportJobStatus.FAILED
    assert (job.created, job.updated, job.unchanged, job.failed_rows, job.error_count) == (0, 0, 0, 1, 1)
    assert [(e["row"], e["column"]) for e in job.errors] == [(6, "name")]
    assert not Trade.objects.exists()
    assert not AuditEntry.objects.exists()
    page = job_page(client, job).content.decode()
    assert 'id="import-errors"' in page
    assert '<td class="num">6</td><td>name</td>' in page


def test_the_errors_are_in_the_uploaders_language(cast):
    job = queued_job(cast.system_admin, ("T1", ""), language="en")
    with translation.override("zh-hans"):
        run_import_job.call(job.pk)

    job.refresh_from_db()
    assert job.errors[0]["message"] == "This field is required."


def test_a_job_keeps_the_first_errors_and_counts_the_rest(cast, client_for, monkeypatch):
    monkeypatch.setattr(tasks, "ERRORS_KEPT", 2)
    client = client_for(cast.system_admin)
    upload(client, trades_csv(*[(f"T{i}", "") for i in range(5)]))

    job = ImportJob.objects.get()
    assert (len(job.errors), job.error_count, job.failed_rows) == (2, 5, 5)
    assert job_page(client, job).context["errors_hidden"] == 3


# --- the task ----------------------------------------------------------------------------------


def test_an_unexpected_exception_marks_the_job_failed(cast, monkeypatch, caplog):
    def broken_import(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(tasks, "import_file", broken_import)
    job = queued_job(cast.system_admin, language="en")
    with caplog.at_level(logging.ERROR, logger="houqin.core.tasks"):
        run_import_job.call(job.pk)

    job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED
    assert job.finished_at is not None and job.content is None
    assert job.errors == [
        {
            "row": None,
            "column": "",
            "message": "The import stopped because of an unexpected error; nothing was imported. "
            "Please try again later.",
        }
    ]
    assert "disk on fire" not in str(job.errors)
    assert "disk on fire" in caplog.text  # the traceback goes to the log


def test_a_job_is_run_only_once(cast):
    job = queued_job(cast.system_admin)
    run_import_job.call(job.pk)
    Trade.objects.all().delete()

    assert run_import_job.call(job.pk) == ImportJobStatus.SUCCEEDED
    assert not Trade.objects.exists()


def test_the_uploaders_permissions_are_checked_again_when_the_job_runs(cast):
    job = queued_job(cast.director, language="en")
    run_import_job.call(job.pk)

    job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED
    assert job.errors[0]["message"] == "You no longer have permission to import this list."
    assert not Trade.objects.exists()


TASK_PATH = "houqin.core.tasks.run_import_job"


# Committed for real (no test transaction around it), as in production: the worker claims the
# task, runs it and records the result in transactions of its own, and may close and reopen the
# database connection between tasks, which a test transaction would not survive on PostgreSQL.
@pytest.mark.django_db(transaction=True)
def test_the_database_backend_queues_the_job_for_the_worker(cast, client_for, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client = client_for(cast.system_admin)
    upload(client, trades_csv(*FIVE_TRADES))

    job = ImportJob.objects.get()
    assert job.status == ImportJobStatus.QUEUED
    assert job.content
    assert not Trade.objects.exists()
    queued = DBTaskResult.objects.get()
    assert (str(queued.pk), queued.status, queued.task_path) == (job.task_id, TaskResultStatus.READY, TASK_PATH)

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    job.refresh_from_db()
    assert job.status == ImportJobStatus.SUCCEEDED
    assert Trade.objects.count() == 5
    queued.refresh_from_db()
    assert queued.status == TaskResultStatus.SUCCESSFUL and queued.worker_ids
    assert queued.return_value == ImportJobStatus.SUCCEEDED


# --- the job page ------------------------------------------------------------------------------


def test_the_job_page_polls_while_queued_and_names_the_worker(cast, client_for):
    cast.system_admin.language = "en"
    cast.system_admin.save()
    job = queued_job(cast.system_admin)
    response = job_page(client_for(cast.system_admin), job)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'hx-trigger="every 2s"' in page
    assert "Waiting for the background worker" in page
    assert "manage.py db_worker" in page


def test_polling_gets_only_the_status_fragment(cast, client_for, django_assert_max_num_queries):
    job = queued_job(cast.system_admin)
    client = client_for(cast.system_admin)
    with django_assert_max_num_queries(5):
        response = job_page(client, job, headers={"HX-Request": "true"})

    page = response.content.decode()
    assert page.lstrip().startswith('<div id="import-job-status"')
    assert "<html" not in page


def test_the_job_page_stops_polling_once_the_job_ended(cast, client_for):
    job = queued_job(cast.system_admin)
    client = client_for(cast.system_admin)
    assert 'hx-trigger="every 2s"' in job_page(client, job).content.decode()

    run_import_job.call(job.pk)

    page = job_page(client, job, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 2s"' not in page
    assert 'class="alert alert-success"' in page
    assert job_page(client, job).context["result"].created == 5


def test_a_job_is_seen_only_by_its_uploader_and_superusers(cast, client_for):
    job = queued_job(cast.system_admin)

    assert job_page(client_for(cast.director), job).status_code == 404
    assert job_page(client_for(cast.outsider), job).status_code == 404
    cast.outsider.is_superuser = True
    cast.outsider.save()
    assert job_page(client_for(cast.outsider), job).status_code == 200


def test_an_unknown_job_is_404(cast, client_for):
    response = client_for(cast.system_admin).get(reverse("core:import_job", kwargs={"pk": 999}))
    assert response.status_code == 404


def test_the_job_page_sends_anonymous_visitors_to_the_login(cast, client):
    job = queued_job(cast.system_admin)
    response = job_page(client, job)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- abandoned jobs ----------------------------------------------------------------------------


def test_a_job_running_for_over_an_hour_without_a_worker_ends_failed(cast, client_for):
    started = timezone.now() - datetime.timedelta(hours=2)
    job = queued_job(
        cast.system_admin,
        language="en",
        status=ImportJobStatus.RUNNING,
        started_at=started,
        worker_host="gone.example",
        worker_pid=1,
    )
    response = job_page(client_for(cast.system_admin), job)

    job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED
    assert job.content is None
    assert job.errors[0]["message"].startswith("The background worker stopped before the import finished")
    assert 'hx-trigger="every 2s"' not in response.content.decode()


def test_a_long_job_of_a_live_worker_keeps_running(cast, client_for):
    started = timezone.now() - datetime.timedelta(hours=2)
    job = queued_job(
        cast.system_admin,
        status=ImportJobStatus.RUNNING,
        started_at=started,
        worker_host=socket.gethostname(),
        worker_pid=os.getpid(),
    )
    response = job_page(client_for(cast.system_admin), job)

    job.refresh_from_db()
    assert job.status == ImportJobStatus.RUNNING
    assert 'hx-trigger="every 2s"' in response.content.decode()


def test_a_job_whose_worker_on_this_machine_died_ends_failed_after_an_hour(cast):
    finished = subprocess.Popen(["true"])
    finished.wait()
    job = queued_job(
        cast.system_admin,
        status=ImportJobStatus.RUNNING,
        started_at=timezone.now() - datetime.timedelta(minutes=61),
        worker_host=socket.gethostname(),
        worker_pid=finished.pid,
    )

    assert expire_import_jobs() == 1
    job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED


def test_a_recent_running_job_is_left_alone(cast):
    job = queued_job(cast.system_admin, status=ImportJobStatus.RUNNING, started_at=timezone.now(), worker_host="x")
    assert expire_import_jobs() == 0
    job.refresh_from_db()
    assert job.status == ImportJobStatus.RUNNING


def test_a_job_never_started_within_a_week_ends_failed_and_drops_its_file(cast):
    job = queued_job(cast.system_admin)
    ImportJob.objects.filter(pk=job.pk).update(queued_at=timezone.now() - datetime.timedelta(days=8))
    recent = queued_job(cast.system_admin)

    assert expire_import_jobs() == 1

    job.refresh_from_db()
    recent.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED and job.content is None
    assert recent.status == ImportJobStatus.QUEUED and recent.content


def test_a_finished_job_cannot_be_moved_again(cast):
    job = queued_job(cast.system_admin)
    run_import_job.call(job.pk)
    job.refresh_from_db()
    with pytest.raises(ValueError):
        job.move(ImportJobStatus.RUNNING)


def test_existing_trades_are_updated_by_a_job(cast, client_for):
    TradeFactory(code="T1", name="旧名")
    TradeFactory(code="T2", name="工种2")
    upload(client_for(cast.system_admin), trades_csv(*FIVE_TRADES))

    job = ImportJob.objects.get()
    assert (job.created, job.updated, job.unchanged) == (3, 1, 1)
    assert Trade.objects.get(code="T1").name == "工种1"
