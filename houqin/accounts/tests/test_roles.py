import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from houqin.accounts import services
from houqin.conftest import make_user
from houqin.core.models import AuditEntry, SecurityEvent, SecurityEventKind
from houqin.org.tests.factories import in_english

pytestmark = pytest.mark.django_db


def perm(code):
    app_label, codename = code.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def codes(group):
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def matrix_post(group, *, add=(), remove=()):
    current = {p.pk for p in group.permissions.all()}
    current |= {perm(c).pk for c in add}
    current -= {perm(c).pk for c in remove}
    return {"permissions": sorted(current)}


def test_it_lists_roles_with_label_count_and_scope(cast, client_for):
    response = client_for(in_english(cast.security_admin)).get(reverse("accounts:role_list"))
    assert response.status_code == 200
    rows = {row["group"].name: row for row in response.context["rows"]}
    assert rows["contractor_manager"]["label"] == "Contractor manager"
    assert rows["contractor_manager"]["group"].user_count == 1
    assert str(rows["contractor_manager"]["scope"]) == "own company only"
    assert str(rows["department_user"]["scope"]) == "own department only"
    assert list(rows)[:3] == ["system_admin", "security_admin", "auditor"]  # roles.py order


def test_it_refuses_roles_without_permission(cast, client_for):
    assert client_for(cast.agent).get(reverse("accounts:role_list")).status_code == 403
    agent = Group.objects.get(name="agent")
    assert client_for(cast.system_admin).get(reverse("accounts:role_detail", args=[agent.pk])).status_code == 403


def test_it_shows_the_permission_matrix(cast, client_for):
    agent = Group.objects.get(name="agent")
    response = client_for(in_english(cast.security_admin)).get(reverse("accounts:role_detail", args=[agent.pk]))
    assert response.status_code == 200
    sections = {s.label: s for s in response.context["sections"]}
    assert {"Master data", "Accounts and roles", "Audit"} <= set(sections)
    rows = {r.model: r for r in sections["Master data"].rows}
    assert rows["org.location"].cells["view"].pk in response.context["granted"]
    assert rows["org.location"].cells["delete"].pk not in response.context["granted"]
    assert [p.codename for p in response.context["special"]] == ["export_data"]
    assert "auth.permission" not in {r.model for s in sections.values() for r in s.rows}


def test_it_saves_permissions_and_records_what_changed(cast, client_for):
    agent = Group.objects.get(name="agent")
    data = matrix_post(agent, add=["org.add_location", "core.export_data"], remove=["org.change_directoryentry"])
    response = client_for(cast.security_admin).post(reverse("accounts:role_detail", args=[agent.pk]), data)
    assert response.status_code == 302
    assert {"org.add_location", "core.export_data"} <= codes(agent)
    assert "org.change_directoryentry" not in codes(agent)
    event = SecurityEvent.objects.get(kind=SecurityEventKind.PERMISSIONS_CHANGED)
    assert event.user == cast.security_admin
    assert event.detail == {
        "role": "agent",
        "added": ["core.export_data", "org.add_location"],
        "removed": ["org.change_directoryentry"],
    }
    assert AuditEntry.objects.filter(object_id=str(agent.pk), changes__has_key="permissions").exists()


def test_it_keeps_permissions_the_matrix_does_not_show(cast, client_for):
    agent = Group.objects.get(name="agent")
    hidden = Permission.objects.get(content_type__app_label="sessions", codename="view_session")
    agent.permissions.add(hidden)
    client_for(cast.security_admin).post(
        reverse("accounts:role_detail", args=[agent.pk]), matrix_post(agent, add=["org.add_site"])
    )
    assert agent.permissions.filter(pk=hidden.pk).exists()


def test_it_refuses_unknown_permission_ids(cast, client_for):
    agent = Group.objects.get(name="agent")
    before = codes(agent)
    response = client_for(cast.security_admin).post(
        reverse("accounts:role_detail", args=[agent.pk]), {"permissions": ["999999", "x"]}
    )
    assert response.status_code == 400
    assert codes(agent) == before


def test_it_refuses_the_security_admin_the_audit_trail_for_his_own_role(cast, client_for):
    group = Group.objects.get(name="security_admin")
    response = client_for(in_english(cast.security_admin)).post(
        reverse("accounts:role_detail", args=[group.pk]), matrix_post(group, add=["core.view_auditentry"])
    )
    assert response.status_code == 400
    assert "cannot read the audit trail" in response.content.decode()
    assert "core.view_auditentry" not in codes(group)
    assert not SecurityEvent.objects.filter(kind=SecurityEventKind.PERMISSIONS_CHANGED).exists()


def test_it_refuses_the_audit_trail_to_a_role_a_security_admin_also_holds(cast):
    director = Group.objects.get(name="director")
    make_user("both", "director", "security_admin")
    with pytest.raises(services.ValidationError, match="audit trail"):
        services.set_role_permissions(
            director, [*director.permissions.all(), perm("core.view_auditentry")], by=cast.security_admin
        )


def test_it_refuses_adding_rights_to_a_role_one_holds(cast, client_for):
    group = Group.objects.get(name="security_admin")
    client = client_for(cast.security_admin)
    response = client.post(
        reverse("accounts:role_detail", args=[group.pk]), matrix_post(group, add=["org.delete_site"])
    )
    assert response.status_code == 400
    assert "org.delete_site" not in codes(group)
    # Removing stays possible.
    response = client.post(
        reverse("accounts:role_detail", args=[group.pk]), matrix_post(group, remove=["org.view_person"])
    )
    assert response.status_code == 302
    assert "org.view_person" not in codes(group)


def test_it_keeps_the_auditor_read_only(cast):
    auditor = Group.objects.get(name="auditor")
    with pytest.raises(services.ValidationError, match="only reads"):
        services.set_role_permissions(
            auditor, [*auditor.permissions.all(), perm("org.change_site")], by=cast.security_admin
        )


def test_it_keeps_account_management_from_the_system_admin(cast):
    group = Group.objects.get(name="system_admin")
    with pytest.raises(services.ValidationError, match="security administrator"):
        services.set_role_permissions(
            group, [*group.permissions.all(), perm("accounts.change_user")], by=cast.security_admin
        )


def test_the_auditor_sees_the_matrix_but_cannot_save(cast, client_for):
    agent = Group.objects.get(name="agent")
    client = client_for(in_english(cast.auditor))
    response = client.get(reverse("accounts:role_detail", args=[agent.pk]))
    assert response.status_code == 200
    assert "Save permissions" not in response.content.decode()
    before = codes(agent)
    assert client.post(reverse("accounts:role_detail", args=[agent.pk]), {"permissions": []}).status_code == 403
    assert codes(agent) == before
