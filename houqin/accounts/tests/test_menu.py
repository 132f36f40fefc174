import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def system_menu(client):
    response = client.get(reverse("accounts:profile"))
    for section in response.context["nav_menu"]:
        if section["section"] == "System":
            return [str(item["label"]) for item in section["items"]]
    return []


def test_the_security_admin_sees_users_roles_and_security_events(cast, client_for):
    assert system_menu(client_for(cast.security_admin)) == ["User accounts", "Roles", "Security events", "My profile"]


def test_the_auditor_sees_the_audit_pages(cast, client_for):
    assert system_menu(client_for(cast.auditor)) == [
        "User accounts",
        "Roles",
        "Audit trail",
        "Security events",
        "My profile",
    ]


def test_everyone_else_sees_only_the_profile(cast, client_for):
    assert system_menu(client_for(cast.system_admin)) == ["My profile"]
    assert system_menu(client_for(cast.worker)) == ["My profile"]
