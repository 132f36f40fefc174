"""A long list of the orders behind a figure is written in the background (houqin/core/exports.py):
the export answers with the job's page, the worker (immediate in tests) writes the file as the
user who asked, and only that user may see the job and download the file, for a day."""

import csv
import datetime
import io

import pytest
from django.utils import timezone

from houqin.core import exports
from houqin.core.models import ExportJob, ImportJobStatus, SecurityEvent, SecurityEventKind
from houqin.insight import kpis
from houqin.insight.tests.kpi_sample import MARCH, build_march
from houqin.servicedesk.models import WorkOrder

EXPORT = "/insight/kpis/orders/export/"


@pytest.fixture
def march(cast, settings):
    settings.HOUQIN_EXPORT_SYNC_ROWS = 3  # the month's 9 orders are a "long" list here
    return build_march(cast)


def _export(client, **params):
    return client.get(EXPORT, {"figure": "volume", "month": "2026-03", "format": "csv", **params})


def test_a_long_list_is_written_in_the_background_and_downloaded_from_its_page(cast, client_for, march):
    client = client_for(cast.director)
    answer = _export(client)
    job = ExportJob.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/exports/{job.pk}/"
    assert (job.status, job.rows, job.user) == (ImportJobStatus.SUCCEEDED, 9, cast.director)
    page = client.get(answer["Location"])
    assert page.status_code == 200
    assert f"/exports/{job.pk}/file" in page.content.decode()
    # The way back to the list it was exported from.
    assert job.list_url.startswith("/insight/kpis/orders/?") and "figure=volume" in job.list_url
    assert any(crumb["url"] == job.list_url for crumb in page.context["breadcrumbs"])
    download = client.get(f"/exports/{job.pk}/file")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="kpi-volume-')
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    expected = kpis.orders_behind("volume", WorkOrder.objects.all(), MARCH).values_list("number", flat=True)
    assert {row[0] for row in rows[1:]} == set(expected)
    event = SecurityEvent.objects.filter(kind=SecurityEventKind.EXPORT).latest("pk")
    assert event.user == cast.director and event.detail["rows"] == 9


def test_the_worker_counts_what_the_asker_may_see(cast, client_for, march):
    """A contractor manager's file holds their company's orders only, though the worker runs it."""
    client = client_for(cast.contractor_manager)
    _export(client, format="xlsx")
    from openpyxl import load_workbook

    job = ExportJob.objects.get()
    sheet = load_workbook(io.BytesIO(client.get(f"/exports/{job.pk}/file").content)).active
    assert {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)} == {o.number for o in march.cleaning}


def test_a_short_list_is_still_a_download_at_once(cast, client_for, march):
    answer = _export(client_for(cast.director), figure="dissatisfied")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    assert not ExportJob.objects.exists()


def test_nobody_else_sees_the_job_or_its_file(cast, client_for, march):
    _export(client_for(cast.director))
    job = ExportJob.objects.get()
    for other in (cast.dispatcher, cast.auditor, cast.contractor_manager):
        client = client_for(other)
        assert client.get(f"/exports/{job.pk}/").status_code == 404
        assert client.get(f"/exports/{job.pk}/file").status_code == 404


def test_the_page_waits_for_the_worker_and_says_so(cast, client_for, db):
    job = ExportJob.objects.create(user=cast.director, source="insight.kpi_orders", title="工单", file_format="csv")
    page = client_for(cast.director).get(f"/exports/{job.pk}/")
    body = page.content.decode()
    assert 'hx-trigger="every 2s"' in body and "/file" not in body
    assert client_for(cast.director).get(f"/exports/{job.pk}/file").status_code == 404


def test_a_file_is_kept_for_a_day(cast, client_for, march):
    client = client_for(cast.director)
    _export(client)
    job = ExportJob.objects.get()
    ExportJob.objects.filter(pk=job.pk).update(queued_at=timezone.now() - ExportJob.KEEP_FOR - datetime.timedelta(1))
    assert exports.expire_export_jobs() == 1
    assert client.get(f"/exports/{job.pk}/file").status_code == 404
    assert "/file" not in client.get(f"/exports/{job.pk}/").content.decode()


def test_a_job_that_cannot_be_written_ends_failed_and_says_why(cast, client_for, db):
    def broken(user, params):
        raise RuntimeError("no such list")

    exports.register_export_source("test.broken", broken)
    try:
        job = exports.queue_export_job("test.broken", {}, fmt="csv", user=cast.director, title="坏的")
    finally:
        exports.SOURCES.pop("test.broken")
    job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED and "no such list" in job.error
    page = client_for(cast.director).get(f"/exports/{job.pk}/")
    assert "no such list" in page.content.decode()
