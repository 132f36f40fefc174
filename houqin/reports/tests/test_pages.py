"""The reports page: who sees it, the downloads behind the permission check, "generate now"."""

import datetime
import urllib.parse
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from houqin.core.models import SecurityEvent
from houqin.reports import services, tasks
from houqin.reports.downloads import filename
from houqin.reports.models import MonthlyReport, ReportStatus
from houqin.reports.tests.conftest import LATER

LIST = reverse("reports:list")
GENERATE = reverse("reports:generate")


def download_url(month: str, kind: str) -> str:
    return reverse("reports:download", args=[month, kind])


@pytest.fixture
def ready(month, english):
    return services.generate_monthly_report("2026-11", now=LATER)


@pytest.fixture
def enqueued(monkeypatch):
    """The task worker is not running: enqueued generations wait."""
    calls = []
    waiting = SimpleNamespace(enqueue=lambda *args: calls.append(args))
    monkeypatch.setattr(tasks, "generate_monthly_report_task", waiting)
    return calls


def content_of(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_director_sees_the_months_with_their_downloads(ready, cast, client_for, django_assert_max_num_queries):
    MonthlyReport.objects.create(month="2026-10-01", status=ReportStatus.FAILED, error="RuntimeError: out of ink")
    client = client_for(cast.director)
    with django_assert_max_num_queries(12):
        response = client.get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="report-2026-11"' in page and 'id="report-2026-10"' in page
    assert download_url("2026-11", "xlsx") in page and download_url("2026-11", "pdf") in page
    assert download_url("2026-10", "pdf") not in page
    assert "out of ink" in page
    assert f'action="{GENERATE}"' in page
    assert f'hx-get="{LIST}"' not in page  # nothing being generated: no polling


def test_the_sidebar_shows_the_reports_to_those_who_may_read_them(ready, cast, client_for):
    assert f'href="{LIST}"' in client_for(cast.inspector).get(reverse("core:home")).content.decode()
    assert f'href="{LIST}"' not in client_for(cast.worker).get(reverse("core:home")).content.decode()


def test_an_inspector_reads_but_cannot_generate(ready, cast, client_for):
    client = client_for(cast.inspector)
    page = client.get(LIST).content.decode()
    assert f'action="{GENERATE}"' not in page
    assert client.get(download_url("2026-11", "pdf")).status_code == 200
    assert client.post(GENERATE, {"month": "2026-10"}).status_code == 403


@pytest.mark.parametrize("who", ["worker", "agent", "department_user", "contractor_manager", "outsider"])
def test_it_refuses_the_page_and_the_files_to_everyone_else(ready, cast, client_for, who):
    client = client_for(getattr(cast, who))
    assert client.get(LIST).status_code == 403
    assert client.get(download_url("2026-11", "xlsx")).status_code == 403
    assert client.post(GENERATE, {"month": "2026-10"}).status_code == 403


def test_it_sends_anonymous_visitors_to_the_login(ready, client):
    for url in (LIST, download_url("2026-11", "pdf")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_downloads_carry_a_chinese_file_name(ready, cast, client_for):
    response = client_for(cast.director).get(download_url("2026-11", "xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Cache-Control"] == "private, no-store"
    with translation.override("zh-hans"):  # the request's language
        name = filename(ready, "xlsx")
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="houqin-report-2026-11.xlsx"; ')
    assert disposition.endswith(f"filename*=UTF-8''{urllib.parse.quote(name)}")
    assert content_of(response).startswith(b"PK")
    pdf = client_for(cast.director).get(download_url("2026-11", "pdf"))
    assert pdf["Content-Type"] == "application/pdf" and content_of(pdf).startswith(b"%PDF")
    assert SecurityEvent.objects.filter(kind="export", user=cast.director).count() == 2


def test_there_is_nothing_to_download_for_a_month_without_a_ready_report(ready, cast, client_for):
    MonthlyReport.objects.create(month="2026-10-01", status=ReportStatus.PENDING)
    client = client_for(cast.director)
    assert client.get(download_url("2026-10", "pdf")).status_code == 404
    assert client.get(download_url("2026-09", "pdf")).status_code == 404
    assert client.get(download_url("2026-13", "pdf")).status_code == 404
    assert client.get(f"{LIST}2026-11/docx/").status_code == 404


def test_generate_now_enqueues_and_the_page_polls_until_ready(month, cast, client_for, enqueued):
    client = client_for(cast.director)
    response = client.post(GENERATE, {"month": "2026-10"})
    assert response.status_code == 302 and response["Location"] == LIST
    report = MonthlyReport.objects.get()
    assert report.status == ReportStatus.PENDING and report.requested_by == cast.director
    assert enqueued == [("2026-10-01", cast.director.pk)]
    page = client.get(LIST).content.decode()
    assert f'hx-get="{LIST}" hx-trigger="every 3s" hx-target="this"' in page
    # Asked again while it is being made: not queued twice.
    client.post(GENERATE, {"month": "2026-10"})
    assert len(enqueued) == 1
    # The poll gets the table only; once the report is ready, the table stops polling.
    services.generate_monthly_report("2026-10", by=cast.director)
    fragment = client.get(LIST, headers={"HX-Request": "true", "HX-Target": "report-table"})
    body = fragment.content.decode()
    assert body.lstrip().startswith('<div id="report-table"') and "<html" not in body
    assert f'hx-get="{LIST}"' not in body and download_url("2026-10", "pdf") in body


def test_generate_now_with_a_quick_worker_shows_the_report(month, cast, client_for):
    # The tests' task backend runs the task at once, as a quick worker would.
    response = client_for(cast.director).post(GENERATE, {"month": "2026-11"}, follow=True)
    assert response.status_code == 200
    report = MonthlyReport.objects.get()
    assert report.status == ReportStatus.READY
    assert download_url("2026-11", "pdf") in response.content.decode()


@pytest.mark.parametrize("value", ["2026-13", "soon", "", "2999-01"])
def test_generate_now_refuses_a_month_that_is_not_one_or_not_begun(cast, client_for, enqueued, value):
    response = client_for(cast.director).post(GENERATE, {"month": value})
    assert response.status_code == 400
    assert response.context["form"].errors["month"]
    assert 'aria-invalid="true"' in response.content.decode()
    assert not MonthlyReport.objects.exists() and not enqueued


def test_the_form_suggests_last_month(cast, client_for):
    response = client_for(cast.director).get(LIST)
    assert response.context["form"]["month"].value() == f"{services.last_month():%Y-%m}"
    assert 'type="month"' in response.content.decode()


def test_a_report_whose_worker_stopped_can_be_asked_for_again(cast, client_for, enqueued):
    MonthlyReport.objects.create(month="2026-10-01", status=ReportStatus.PENDING)
    MonthlyReport.objects.update(last_updated=timezone.now() - services.STALE_AFTER - datetime.timedelta(minutes=1))
    client = client_for(cast.director)
    assert f'hx-get="{LIST}"' not in client.get(LIST).content.decode()  # no endless polling
    client.post(GENERATE, {"month": "2026-10"})
    assert enqueued == [("2026-10-01", cast.director.pk)]
