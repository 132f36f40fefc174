import pytest
from django.urls import reverse

from houqin.org.tests.factories import in_english

pytestmark = pytest.mark.django_db


def system_menu(client_for, user):
    response = client_for(in_english(user)).get(reverse("accounts:profile"))
    for section in response.context["nav_menu"]:
        if section["section"] == "System":
            return [str(item["label"]) for item in section["items"]]
    return []


def test_the_security_admin_sees_users_roles_and_security_events(cast, client_for):
    assert system_menu(client_for, cast.security_admin) == ["User accounts", "Roles", "Security events", "My profile"]


def test_the_auditor_sees_the_audit_pages_and_the_delivery_log(cast, client_for):
    assert system_menu(client_for, cast.auditor) == [
        "User accounts",
        "Roles",
        "Audit trail",
        "Security events",
        "My profile",
        "Delivery log",
    ]


def test_the_system_admin_sees_the_notification_channels_and_the_delivery_log(cast, client_for):
    assert system_menu(client_for, cast.system_admin) == ["My profile", "Notification channels", "Delivery log"]


def test_everyone_else_sees_only_the_profile(cast, client_for):
    assert system_menu(client_for, cast.worker) == ["My profile"]
    assert system_menu(client_for, cast.director) == ["My profile"]


def test_the_menu_speaks_chinese_by_default(cast, client_for):
    response = client_for(cast.security_admin).get(reverse("accounts:profile"))
    sections = {
        section["section"]: [str(item["label"]) for item in section["items"]]
        for section in response.context["nav_menu"]
    }
    assert sections["系统管理"] == ["用户账号", "角色", "安全事件", "个人设置"]
