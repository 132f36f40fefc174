"""/api/v1/reports: the list, one month, its files, and asking for a month's report."""

from types import SimpleNamespace

import pytest

from houqin.accounts.tokens import create_token
from houqin.reports import services, tasks
from houqin.reports.models import MonthlyReport, ReportStatus
from houqin.reports.tests.conftest import LATER

BASE = "/api/v1/reports"


@pytest.fixture
def ready(month, english):
    return services.generate_monthly_report("2026-11", now=LATER)


@pytest.fixture
def api_for(client_for):
    def login(user):
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return login


def test_it_lists_the_reports_with_their_links(ready, cast, api_for, django_assert_max_num_queries):
    MonthlyReport.objects.create(month="2026-10-01", status=ReportStatus.FAILED, error="RuntimeError: out of ink")
    client = api_for(cast.director)
    with django_assert_max_num_queries(8):
        response = client.get(BASE)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    november, october = body["items"]
    assert november["month"] == "2026-11" and november["status"] == "ready" and november["complete"] is True
    assert november["links"] == {"xlsx": f"{BASE}/2026-11/xlsx", "pdf": f"{BASE}/2026-11/pdf"}
    assert november["generated_at"] == "2026-12-03T10:00:00+08:00"
    assert october["status"] == "failed" and october["error"] == "RuntimeError: out of ink"
    assert october["links"] == {"xlsx": None, "pdf": None}
    assert client.get(BASE, {"limit": 1, "offset": 1}).json()["items"][0]["month"] == "2026-10"


def test_it_answers_one_month_and_its_files(ready, cast, api_for):
    client = api_for(cast.inspector)
    assert client.get(f"{BASE}/2026-11").json()["id"] == ready.pk
    workbook = client.get(f"{BASE}/2026-11/xlsx")
    assert workbook.status_code == 200
    assert workbook["Content-Disposition"].startswith('attachment; filename="houqin-report-2026-11.xlsx"')
    assert b"".join(workbook.streaming_content).startswith(b"PK")
    pdf = client.get(f"{BASE}/2026-11/pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_it_works_with_a_token(ready, cast, client):
    _token, key = create_token(cast.director, name="reports", by=cast.director)
    response = client.get(f"{BASE}/2026-11/pdf", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200


def test_it_names_the_bad_month_or_kind(ready, cast, api_for):
    client = api_for(cast.director)
    bad_month = client.get(f"{BASE}/2026-13/pdf")
    assert bad_month.status_code == 400
    assert bad_month.json()["errors"] == {"month": ["Enter a month as YYYY-MM."]}
    bad_kind = client.get(f"{BASE}/2026-11/docx")
    assert bad_kind.status_code == 400 and "kind" in bad_kind.json()["errors"]
    assert client.get(f"{BASE}/2026-09").status_code == 404
    assert client.get(f"{BASE}/2026-09/pdf").status_code == 404


def test_a_report_not_ready_has_no_files(cast, api_for):
    MonthlyReport.objects.create(month="2026-10-01", status=ReportStatus.PENDING)
    assert api_for(cast.director).get(f"{BASE}/2026-10/xlsx").status_code == 404


def test_it_refuses_those_without_the_right(ready, cast, api_for, client):
    assert client.get(BASE).status_code == 401
    assert client.get(f"{BASE}/2026-11/pdf").status_code == 401
    worker = api_for(cast.worker)
    assert worker.get(BASE).status_code == 403
    assert worker.get(f"{BASE}/2026-11/pdf").status_code == 403
    assert worker.post(BASE, {"month": "2026-10"}, content_type="application/json").status_code == 403
    # Reading is not asking.
    inspector = api_for(cast.inspector)
    assert inspector.post(BASE, {"month": "2026-10"}, content_type="application/json").status_code == 403


def test_asking_for_a_report_answers_202_with_the_report(cast, api_for, monkeypatch):
    calls = []
    monkeypatch.setattr(tasks, "generate_monthly_report_task", SimpleNamespace(enqueue=lambda *a: calls.append(a)))
    client = api_for(cast.director)
    response = client.post(BASE, {"month": "2026-10"}, content_type="application/json")
    assert response.status_code == 202
    body = response.json()
    assert body["month"] == "2026-10" and body["status"] == "pending" and body["requested_by"] == "director"
    assert calls == [("2026-10-01", cast.director.pk)]


def test_asking_with_a_quick_worker_answers_the_ready_report(month, english, cast, api_for):
    response = api_for(cast.director).post(BASE, {"month": "2026-11"}, content_type="application/json")
    assert response.status_code == 202
    assert response.json()["status"] == "ready"


@pytest.mark.parametrize("month", ["2026-13", "next month", "", "2999-01"])
def test_asking_names_a_bad_month(cast, api_for, month):
    response = api_for(cast.director).post(BASE, {"month": month}, content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["month"]
    assert not MonthlyReport.objects.exists()


def test_asking_without_a_month_names_it(cast, api_for):
    response = api_for(cast.director).post(BASE, {}, content_type="application/json")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["month"]


def test_the_schema_lists_the_endpoints_with_their_errors(client):
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert set(paths[BASE]) == {"get", "post"}
    assert {"202", "400", "401", "403"} <= set(paths[BASE]["post"]["responses"])
    download = paths[BASE + "/{month}/{kind}"]["get"]
    assert {"200", "400", "401", "403", "404"} <= set(download["responses"])
    assert "application/pdf" in download["responses"]["200"]["content"]
