import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from houqin.core.audit import AuditAction, record_change, record_security_event
from houqin.core.models import AuditEntry, SecurityEvent, SecurityEventKind
from houqin.org.tests.factories import SiteFactory, in_english

pytestmark = pytest.mark.django_db


def site_changes(by, count: int, **site_kwargs):
    sites = []
    for i in range(count):
        site = SiteFactory(**site_kwargs) if site_kwargs else SiteFactory()
        record_change(site, AuditAction.UPDATE, by=by, changes={"name": [f"旧名{i}", site.name], "beds": [0, 500]})
        sites.append(site)
    return sites


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


# --- access -------------------------------------------------------------------------------------


def test_the_auditor_reads_the_audit_trail(cast, client_for):
    site_changes(cast.system_admin, 1)
    response = client_for(cast.auditor).get(reverse("core:audit_list"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "sysadmin" in text
    assert "旧名0" in text


def test_the_system_admin_cannot_open_the_audit_trail(cast, client_for):
    client = client_for(cast.system_admin)
    assert client.get(reverse("core:audit_list")).status_code == 403
    assert client.get(reverse("core:audit_export")).status_code == 403
    assert client.get(reverse("core:security_event_list")).status_code == 403


def test_the_security_admin_sees_security_events_but_not_the_audit_trail(cast, client_for):
    client = client_for(cast.security_admin)
    assert client.get(reverse("core:audit_list")).status_code == 403
    assert client.get(reverse("core:security_event_list")).status_code == 200


def test_it_asks_anonymous_visitors_to_log_in(client):
    response = client.get(reverse("core:audit_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


# --- audit list ---------------------------------------------------------------------------------


def test_it_shows_field_names_before_and_after(cast, client_for):
    site_changes(cast.system_admin, 1)
    cast.auditor.language = "en"  # Django's own catalogue translates "name"
    cast.auditor.save()
    response = client_for(cast.auditor).get(reverse("core:audit_list"))
    changes = {c["label"]: (c["before"], c["after"]) for c in response.context["rows"][0]["changes"]}
    assert changes["Beds"] == ("0", "500")
    assert changes["Name"][0] == "旧名0"


def test_it_shows_added_and_removed_items_of_lists(cast, client_for):
    record_change(
        cast.worker, AuditAction.UPDATE, by=cast.security_admin, changes={"groups": [["worker"], ["agent", "worker"]]}
    )
    response = client_for(cast.auditor).get(reverse("core:audit_list"))
    change = response.context["rows"][0]["changes"][0]
    assert (change["added"], change["removed"]) == (["agent"], [])


def test_it_links_objects_the_viewer_may_see(cast, client_for, monkeypatch):
    from houqin.org.models import Site

    (site,) = site_changes(cast.system_admin, 1)
    monkeypatch.setattr(Site, "get_absolute_url", lambda self: f"/org/sites/{self.pk}/", raising=False)
    response = client_for(cast.auditor).get(reverse("core:audit_list"))
    assert response.context["rows"][0]["url"] == f"/org/sites/{site.pk}/"
    # Without the view permission of that model: no link.
    auditor_group = Group.objects.get(name="auditor")
    auditor_group.permissions.remove(Permission.objects.get(codename="view_site"))
    response = client_for(cast.auditor).get(reverse("core:audit_list"))
    assert response.context["rows"][0]["url"] is None


def test_it_gives_no_link_to_a_deleted_object(cast, client_for, monkeypatch):
    from houqin.org.models import Site

    (site,) = site_changes(cast.system_admin, 1)
    monkeypatch.setattr(Site, "get_absolute_url", lambda self: "/x/", raising=False)
    site.delete()
    response = client_for(cast.auditor).get(reverse("core:audit_list"))
    assert response.context["rows"][0]["url"] is None
    assert response.context["rows"][0]["entry"].object_repr  # the name as it was


def test_it_filters_by_type_object_user_action_and_dates(cast, client_for):
    from django.contrib.contenttypes.models import ContentType

    (site,) = site_changes(cast.system_admin, 1, name="东院区")
    record_change(cast.worker, AuditAction.CREATE, by=cast.security_admin)
    old = record_change(cast.agent, AuditAction.UPDATE, by=cast.security_admin)
    AuditEntry.objects.filter(pk=old.pk).update(time=timezone.now() - datetime.timedelta(days=10))
    client = client_for(cast.auditor)

    def found(**params):
        response = client.get(reverse("core:audit_list"), params)
        assert response.status_code == 200
        return [row["entry"].object_repr for row in response.context["rows"]]

    site_type = ContentType.objects.get_for_model(site).pk
    assert found(content_type=site_type) == ["东院区"]
    assert found(object="东院") == ["东院区"]
    assert found(object=str(site.pk), content_type=site_type) == ["东院区"]
    assert found(user="secadmin") == [str(cast.worker), str(cast.agent)]
    assert found(action="create") == [str(cast.worker)]
    today = timezone.localdate()
    assert str(cast.agent) not in found(date_from=(today - datetime.timedelta(days=1)).isoformat())
    assert found(date_to=(today - datetime.timedelta(days=5)).isoformat()) == [str(cast.agent)]


def test_it_rejects_a_reversed_period_without_error(cast, client_for):
    site_changes(cast.system_admin, 1)
    response = client_for(cast.auditor).get(
        reverse("core:audit_list"), {"date_from": "2026-02-01", "date_to": "2026-01-01"}
    )
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert "date_to" in response.context["filter_form"].errors


def test_it_survives_nonsense_filters(cast, client_for):
    response = client_for(cast.auditor).get(
        reverse("core:audit_list"), {"content_type": "abc", "date_from": "yesterday", "page": "x", "action": "burn"}
    )
    assert response.status_code == 200


def test_it_pages_by_fifty(cast, client_for):
    site_changes(cast.system_admin, 51)
    client = client_for(cast.auditor)
    assert len(client.get(reverse("core:audit_list")).context["rows"]) == 50
    assert len(client.get(reverse("core:audit_list"), {"page": 2}).context["rows"]) == 1


def test_the_audit_list_query_count_does_not_grow(cast, client_for, django_assert_num_queries, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from houqin.org.models import Site

    monkeypatch.setattr(Site, "get_absolute_url", lambda self: f"/org/sites/{self.pk}/", raising=False)
    client = client_for(cast.auditor)
    site_changes(cast.system_admin, 3)
    client.get(reverse("core:audit_list"))  # warm caches (content types, permissions)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("core:audit_list"))
    site_changes(cast.system_admin, 27)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(reverse("core:audit_list"))
    assert len(response.context["rows"]) == 30
    assert all(row["url"] for row in response.context["rows"])


def test_it_answers_the_results_fragment_for_htmx(cast, client_for):
    site_changes(cast.system_admin, 1)
    response = client_for(cast.auditor).get(
        reverse("core:audit_list"), headers={"HX-Request": "true", "HX-Target": "hq-results"}
    )
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert "旧名0" in response.content.decode()


# --- export -------------------------------------------------------------------------------------


def test_the_auditor_exports_the_audit_trail_and_the_export_is_recorded(cast, client_for):
    site_changes(cast.system_admin, 2)
    record_change(cast.worker, AuditAction.UPDATE, by=cast.security_admin, note="=HYPERLINK(1)")
    response = client_for(cast.auditor).get(reverse("core:audit_export"), {"user": "sysadmin"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = csv_rows(response)
    assert len(rows) == 1 + 2
    assert rows[1][1] == "sysadmin"
    assert "旧名" in rows[1][7]
    event = SecurityEvent.objects.get(kind=SecurityEventKind.EXPORT)
    assert event.user == cast.auditor
    assert event.detail == {"list": "audit_trail", "format": "csv", "rows": 2, "filters": {"user": "sysadmin"}}


def test_it_neutralises_formulas_in_the_export(cast, client_for):
    record_change(cast.worker, AuditAction.UPDATE, by=cast.security_admin, note="=HYPERLINK(1)")
    rows = csv_rows(client_for(cast.auditor).get(reverse("core:audit_export")))
    assert rows[1][8] == "'=HYPERLINK(1)"


def test_it_refuses_the_export_without_the_export_right(cast, client_for):
    auditor_group = Group.objects.get(name="auditor")
    auditor_group.permissions.remove(Permission.objects.get(codename="export_data"))
    client = client_for(in_english(cast.auditor))
    assert client.get(reverse("core:audit_export")).status_code == 403
    assert client.get(reverse("core:security_event_export")).status_code == 403
    assert "Export CSV" not in client.get(reverse("core:audit_list")).content.decode()
    assert not SecurityEvent.objects.filter(kind=SecurityEventKind.EXPORT).exists()


def test_the_auditor_cannot_change_the_trail(cast, client_for):
    client = client_for(cast.auditor)
    assert client.post(reverse("core:audit_list")).status_code == 405
    assert client.post(reverse("core:security_event_list")).status_code == 405


# --- security events ----------------------------------------------------------------------------


def test_it_lists_and_filters_security_events(cast, client_for):
    from houqin.core.audit import current_ip

    token = current_ip.set("10.2.3.4")
    try:
        record_security_event(SecurityEventKind.LOGIN_FAILED, username="mallory")
    finally:
        current_ip.reset(token)
    record_security_event(SecurityEventKind.LOGIN, user=cast.worker)
    old = record_security_event(SecurityEventKind.LOGOUT, user=cast.worker)
    SecurityEvent.objects.filter(pk=old.pk).update(time=timezone.now() - datetime.timedelta(days=3))
    client = client_for(cast.auditor)

    def found(**params):
        response = client.get(reverse("core:security_event_list"), params)
        assert response.status_code == 200
        return [(row["event"].kind, row["event"].username) for row in response.context["rows"]]

    assert found(kind="login_failed") == [("login_failed", "mallory")]
    assert found(username="WORK") == [("login", "worker"), ("logout", "worker")]
    assert found(ip_address="10.2.") == [("login_failed", "mallory")]
    assert found(date_to=(timezone.localdate() - datetime.timedelta(days=1)).isoformat()) == [("logout", "worker")]
    assert "mallory" in client.get(reverse("core:security_event_list")).content.decode()


def test_it_shows_event_details(cast, client_for):
    record_security_event(
        SecurityEventKind.ROLES_CHANGED, user=cast.security_admin, detail={"target": "worker", "after": ["agent"]}
    )
    cast.auditor.language = "en"
    cast.auditor.save()
    response = client_for(cast.auditor).get(reverse("core:security_event_list"), {"kind": "roles_changed"})
    assert ("account", "worker") in response.context["rows"][0]["detail"]
    assert ("after", "agent") in response.context["rows"][0]["detail"]


def test_the_security_event_list_query_count_does_not_grow(cast, client_for, django_assert_max_num_queries):
    client = client_for(cast.auditor)
    for _ in range(30):
        record_security_event(SecurityEventKind.LOGIN, user=cast.worker)
    with django_assert_max_num_queries(8):
        client.get(reverse("core:security_event_list"))


def test_it_exports_security_events(cast, client_for):
    record_security_event(SecurityEventKind.LOGIN_FAILED, username="mallory", detail={"why": "密码错误"})
    response = client_for(cast.auditor).get(reverse("core:security_event_export"), {"kind": "login_failed"})
    rows = csv_rows(response)
    assert [r[2] for r in rows[1:]] == ["mallory"]
    assert "密码错误" in rows[1][4]
    event = SecurityEvent.objects.get(kind=SecurityEventKind.EXPORT)
    assert event.detail["list"] == "security_events"
    assert event.detail["rows"] == 1
