import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from houqin.accounts.models import User
from houqin.conftest import make_user
from houqin.core.models import AuditAction, AuditEntry, SecurityEvent, SecurityEventKind
from houqin.org.models import EmploymentType
from houqin.org.tests.factories import PersonFactory, UserFactory, in_english

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Lotus-Pond-2026"


def group(code):
    return Group.objects.get(name=code)


def roles_of(user):
    return set(User.objects.get(pk=user.pk).groups.values_list("name", flat=True))


def edit_data(user, **overrides):
    data = {
        "name": user.get_full_name(),
        "email": user.email,
        "language": user.language,
        "roles": [g.pk for g in user.groups.all()],
        "is_active": "on" if user.is_active else "",
        "person": getattr(getattr(user, "person", None), "pk", "") if hasattr(user, "person") else "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- list ---------------------------------------------------------------------------------------


def test_it_lists_users_for_the_security_admin(cast, client_for):
    response = client_for(cast.security_admin).get(reverse("accounts:user_list"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "cmanager" in text
    assert "外包项目经理" in text  # "Contractor manager", in the security admin's Chinese
    assert '<th scope="col">姓名</th>' in text  # a person's name, where things have a 名称
    assert "洁康保洁公司" in text


def test_it_refuses_the_list_without_permission(cast, client_for):
    assert client_for(cast.system_admin).get(reverse("accounts:user_list")).status_code == 403
    assert client_for(cast.outsider).get(reverse("accounts:user_list")).status_code == 403


def test_it_searches_by_pinyin_of_the_person(cast, client_for):
    user = UserFactory(username="wang")
    PersonFactory(user=user, name="王小明", company=cast.hospital)
    response = client_for(cast.security_admin).get(reverse("accounts:user_list"), {"q": "wxm"})
    usernames = [row["user"].username for row in response.context["rows"]]
    assert usernames == ["wang"]


def test_it_filters_by_role_and_status(cast, client_for):
    client = client_for(cast.security_admin)
    response = client.get(reverse("accounts:user_list"), {"role": "worker"})
    assert [row["user"].username for row in response.context["rows"]] == ["worker"]
    User.objects.filter(pk=cast.agent.pk).update(is_active=False)
    response = client.get(reverse("accounts:user_list"), {"is_active": "false"})
    assert [row["user"].username for row in response.context["rows"]] == ["agent"]


def test_it_answers_the_list_fragment_for_htmx(cast, client_for):
    response = client_for(cast.security_admin).get(
        reverse("accounts:user_list"), {"q": "worker"}, headers={"HX-Request": "true", "HX-Target": "hq-results"}
    )
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b"worker" in response.content


def test_it_shows_locked_accounts(cast, client_for):
    AccessAttempt.objects.create(
        username="worker",
        ip_address="10.0.0.9",
        user_agent="x",
        get_data="",
        post_data="",
        http_accept="",
        path_info="/accounts/login/",
        failures_since_start=99,
        attempt_time=timezone.now(),
    )
    response = client_for(cast.security_admin).get(reverse("accounts:user_list"))
    locked = [row["user"].username for row in response.context["rows"] if row["locked"]]
    assert locked == ["worker"]


def test_it_lists_users_with_constant_queries(cast, client_for, django_assert_max_num_queries):
    client = client_for(cast.security_admin)
    client.get(reverse("accounts:user_list"))
    for i in range(20):
        make_user(
            f"extra{i}", "agent", person_kwargs={"company": cast.hospital, "employment_type": EmploymentType.PERMANENT}
        )
    with django_assert_max_num_queries(12):
        response = client.get(reverse("accounts:user_list"))
    assert len(response.context["rows"]) == 31


# --- create -------------------------------------------------------------------------------------


def create_data(**overrides):
    data = {
        "username": "zhangsan",
        "name": "张三",
        "email": "",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "roles": [group("agent").pk],
        "language": "",
        "person": "",
    }
    data.update(overrides)
    return data


def test_it_creates_a_user_with_roles_and_person(cast, client_for):
    person = PersonFactory(name="张三", employee_no="E9001", company=cast.hospital)
    response = client_for(cast.security_admin).post(reverse("accounts:user_add"), create_data(person="E9001"))
    assert response.status_code == 302, response.content.decode()
    user = User.objects.get(username="zhangsan")
    assert response.url == reverse("accounts:user_detail", args=[user.pk])
    assert user.check_password(NEW_PASSWORD)
    assert user.get_full_name() == "张三"
    assert roles_of(user) == {"agent"}
    person.refresh_from_db()
    assert person.user == user
    created = AuditEntry.objects.get(object_id=str(user.pk), action=AuditAction.CREATE)
    assert created.actor == cast.security_admin
    assert "password" not in created.changes
    assert NEW_PASSWORD not in str(AuditEntry.objects.values_list("changes", "note"))
    event = SecurityEvent.objects.get(kind=SecurityEventKind.USER_CREATED)
    assert event.user == cast.security_admin
    assert event.detail == {"target": "zhangsan", "roles": ["agent"]}


def test_it_takes_the_name_from_the_person(cast, client_for):
    PersonFactory(name="李四", employee_no="E9002", company=cast.hospital)
    client_for(cast.security_admin).post(reverse("accounts:user_add"), create_data(name="", person="E9002"))
    assert User.objects.get(username="zhangsan").get_full_name() == "李四"


def test_it_refuses_differing_or_weak_passwords(cast, client_for):
    client = client_for(cast.security_admin)
    response = client.post(reverse("accounts:user_add"), create_data(password2="Other-Pond-2026"))
    assert response.status_code == 400
    assert "password2" in response.context["form"].errors
    response = client.post(reverse("accounts:user_add"), create_data(password1="zhangsan1", password2="zhangsan1"))
    assert response.status_code == 400
    assert "password2" in response.context["form"].errors
    assert not User.objects.filter(username="zhangsan").exists()


def test_it_refuses_a_taken_username(cast, client_for):
    response = client_for(cast.security_admin).post(reverse("accounts:user_add"), create_data(username="worker"))
    assert response.status_code == 400
    assert "username" in response.context["form"].errors


@pytest.mark.parametrize("other", ["auditor", "system_admin"])
def test_it_refuses_security_admin_together_with(cast, client_for, other):
    response = client_for(in_english(cast.security_admin)).post(
        reverse("accounts:user_add"), create_data(roles=[group("security_admin").pk, group(other).pk])
    )
    assert response.status_code == 400
    assert "separated duties" in str(response.context["form"].errors["roles"])
    assert not User.objects.filter(username="zhangsan").exists()
    assert not SecurityEvent.objects.filter(kind=SecurityEventKind.USER_CREATED).exists()


def test_it_refuses_a_person_linked_to_another_account(cast, client_for):
    employee_no = cast.worker.person.employee_no
    response = client_for(in_english(cast.security_admin)).post(
        reverse("accounts:user_add"), create_data(person=employee_no)
    )
    assert response.status_code == 400
    assert "already linked" in str(response.context["form"].errors["person"])
    assert not User.objects.filter(username="zhangsan").exists()


def test_it_never_makes_a_superuser(cast, client_for):
    client_for(cast.security_admin).post(reverse("accounts:user_add"), create_data(is_superuser="on", is_staff="on"))
    user = User.objects.get(username="zhangsan")
    assert not user.is_superuser
    assert not user.is_staff


def test_it_refuses_create_without_permission(cast, client_for):
    response = client_for(cast.auditor).post(reverse("accounts:user_add"), create_data())
    assert response.status_code == 403
    assert not User.objects.filter(username="zhangsan").exists()


# --- edit ---------------------------------------------------------------------------------------


def test_it_changes_roles_and_records_before_and_after(cast, client_for):
    data = edit_data(cast.worker, roles=[group("worker").pk, group("dispatcher").pk])
    response = client_for(cast.security_admin).post(reverse("accounts:user_edit", args=[cast.worker.pk]), data)
    assert response.status_code == 302, response.content.decode()
    assert roles_of(cast.worker) == {"worker", "dispatcher"}
    event = SecurityEvent.objects.get(kind=SecurityEventKind.ROLES_CHANGED)
    assert event.user == cast.security_admin
    assert event.detail == {"target": "worker", "before": ["worker"], "after": ["dispatcher", "worker"]}
    entry = AuditEntry.objects.get(object_id=str(cast.worker.pk), changes__has_key="groups")
    assert entry.changes["groups"] == [["worker"], ["dispatcher", "worker"]]


def test_it_edits_name_language_and_person(cast, client_for):
    person = PersonFactory(name="赵六", employee_no="E9003", company=cast.hospital)
    old_person = cast.worker.person
    data = edit_data(cast.worker, name="赵六", language="en", person="E9003")
    response = client_for(cast.security_admin).post(reverse("accounts:user_edit", args=[cast.worker.pk]), data)
    assert response.status_code == 302
    user = User.objects.get(pk=cast.worker.pk)
    assert (user.get_full_name(), user.language, user.person) == ("赵六", "en", person)
    old_person.refresh_from_db()
    assert old_person.user is None
    assert AuditEntry.objects.filter(object_id=str(person.pk), changes__has_key="user").exists()
    assert not SecurityEvent.objects.filter(kind=SecurityEventKind.ROLES_CHANGED).exists()


def test_it_disables_from_the_edit_page(cast, client_for):
    data = edit_data(cast.worker, is_active="")
    client_for(cast.security_admin).post(reverse("accounts:user_edit", args=[cast.worker.pk]), data)
    assert not User.objects.get(pk=cast.worker.pk).is_active
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.USER_DISABLED, detail__target="worker").exists()


def test_it_refuses_to_edit_own_roles(cast, client_for):
    me = cast.security_admin
    data = edit_data(me, roles=[group("security_admin").pk, group("director").pk])
    response = client_for(me).post(reverse("accounts:user_edit", args=[me.pk]), data)
    # The field is disabled for one's own account: the submitted roles are ignored.
    assert roles_of(me) == {"security_admin"}
    assert response.status_code == 302
    assert not SecurityEvent.objects.filter(kind=SecurityEventKind.ROLES_CHANGED).exists()


def test_it_refuses_to_disable_oneself(cast, client_for):
    me = in_english(cast.security_admin)
    client = client_for(me)
    client.post(reverse("accounts:user_edit", args=[me.pk]), edit_data(me, is_active=""))
    assert User.objects.get(pk=me.pk).is_active
    response = client.post(reverse("accounts:user_set_active", args=[me.pk]), {"active": "0"}, follow=True)
    assert User.objects.get(pk=me.pk).is_active
    assert "cannot disable your own account" in response.content.decode()


def test_it_refuses_to_make_oneself_superuser(cast, client_for):
    me = cast.security_admin
    client_for(me).post(reverse("accounts:user_edit", args=[me.pk]), edit_data(me, is_superuser="on", is_staff="on"))
    me.refresh_from_db()
    assert not me.is_superuser
    assert not me.is_staff


def test_it_refuses_to_edit_a_superuser(cast, client_for):
    root = User.objects.create_superuser("root", password="Root-Pass-2026")
    client = client_for(cast.security_admin)
    assert client.get(reverse("accounts:user_edit", args=[root.pk])).status_code == 403
    response = client.post(reverse("accounts:user_edit", args=[root.pk]), edit_data(root, is_active=""))
    assert response.status_code == 403
    assert client.post(reverse("accounts:user_password", args=[root.pk]), {}).status_code == 403
    assert client.post(reverse("accounts:user_set_active", args=[root.pk]), {"active": "0"}).status_code == 403
    root.refresh_from_db()
    assert root.is_active
    # The detail page shows, without edit buttons.
    response = client.get(reverse("accounts:user_detail", args=[root.pk]))
    assert response.status_code == 200
    assert reverse("accounts:user_edit", args=[root.pk]) not in response.content.decode()


def test_a_superuser_may_edit_a_superuser(cast, client_for):
    root = User.objects.create_superuser("root", password="Root-Pass-2026")
    other = User.objects.create_superuser("root2", password="Root-Pass-2026")
    response = client_for(root).post(reverse("accounts:user_edit", args=[other.pk]), edit_data(other, name="Second"))
    assert response.status_code == 302
    assert User.objects.get(pk=other.pk).get_full_name() == "Second"


def test_it_refuses_to_give_an_auditor_the_security_admin_role(cast, client_for):
    data = edit_data(cast.auditor, roles=[group("auditor").pk, group("security_admin").pk])
    client = client_for(in_english(cast.security_admin))
    response = client.post(reverse("accounts:user_edit", args=[cast.auditor.pk]), data)
    assert response.status_code == 400
    assert "separated duties" in response.content.decode()
    assert roles_of(cast.auditor) == {"auditor"}


def test_it_refuses_a_security_admin_a_second_role_that_reads_the_audit_trail(cast, client_for):
    director = group("director")
    director.permissions.add(*Group.objects.get(name="auditor").permissions.filter(codename="view_auditentry"))
    data = edit_data(cast.security_admin, roles=[group("security_admin").pk, director.pk])
    other_admin = in_english(make_user("secadmin2", "security_admin"))
    response = client_for(other_admin).post(reverse("accounts:user_edit", args=[cast.security_admin.pk]), data)
    assert response.status_code == 400
    assert "audit trail" in response.content.decode()
    assert roles_of(cast.security_admin) == {"security_admin"}


def test_it_keeps_everything_when_one_part_is_refused(cast, client_for):
    # Name and the role combination in one save: the refused roles leave the name unchanged too.
    data = edit_data(cast.auditor, name="Renamed", roles=[group("auditor").pk, group("system_admin").pk])
    client_for(cast.security_admin).post(reverse("accounts:user_edit", args=[cast.auditor.pk]), data)
    assert User.objects.get(pk=cast.auditor.pk).get_full_name() != "Renamed"


def test_the_auditor_cannot_change_anything(cast, client_for):
    client = client_for(cast.auditor)
    target = cast.worker
    assert client.get(reverse("accounts:user_detail", args=[target.pk])).status_code == 200
    for name, data in [
        ("accounts:user_edit", edit_data(target, is_active="")),
        ("accounts:user_password", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}),
        ("accounts:user_unlock", {}),
        ("accounts:user_set_active", {"active": "0"}),
    ]:
        assert client.post(reverse(name, args=[target.pk]), data).status_code == 403, name
    assert User.objects.get(pk=target.pk).is_active


# --- password, unlock, disable ------------------------------------------------------------------


def test_it_resets_a_password_and_ends_the_users_sessions(cast, client_for):
    worker_client = Client()
    worker_client.force_login(cast.worker, backend="django.contrib.auth.backends.ModelBackend")
    response = client_for(cast.security_admin).post(
        reverse("accounts:user_password", args=[cast.worker.pk]),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert User.objects.get(pk=cast.worker.pk).check_password(NEW_PASSWORD)
    event = SecurityEvent.objects.get(kind=SecurityEventKind.PASSWORD_CHANGED)
    assert (event.user, event.detail) == (cast.security_admin, {"target": "worker", "reset": True})
    assert worker_client.get(reverse("accounts:profile")).status_code == 302  # logged out


def test_it_refuses_a_weak_reset_password(cast, client_for):
    response = client_for(cast.security_admin).post(
        reverse("accounts:user_password", args=[cast.worker.pk]), {"new_password1": "123", "new_password2": "123"}
    )
    assert response.status_code == 400
    assert not SecurityEvent.objects.filter(kind=SecurityEventKind.PASSWORD_CHANGED).exists()


@override_settings(AXES_FAILURE_LIMIT=2)
def test_it_unlocks_a_locked_out_user(cast, client_for):
    login = Client()
    for _ in range(2):
        login.post(reverse("accounts:login"), {"username": "worker", "password": "wrong"})
    assert (
        login.post(reverse("accounts:login"), {"username": "worker", "password": "pw-for-tests-1"}).status_code == 429
    )
    admin = client_for(in_english(cast.security_admin))  # the audit note is written in the admin's language
    detail = admin.get(reverse("accounts:user_detail", args=[cast.worker.pk]))
    assert detail.context["locked"]
    assert admin.post(reverse("accounts:user_unlock", args=[cast.worker.pk])).status_code == 302
    assert not AccessAttempt.objects.filter(username="worker").exists()
    response = login.post(reverse("accounts:login"), {"username": "worker", "password": "pw-for-tests-1"})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(object_id=str(cast.worker.pk), note__contains="lock").exists()


def test_it_disables_and_enables_without_deleting(cast, client_for):
    client = client_for(cast.security_admin)
    client.post(reverse("accounts:user_set_active", args=[cast.worker.pk]), {"active": "0"})
    assert not User.objects.get(pk=cast.worker.pk).is_active
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.USER_DISABLED).count() == 1
    client.post(reverse("accounts:user_set_active", args=[cast.worker.pk]), {"active": "1"})
    assert User.objects.get(pk=cast.worker.pk).is_active
    assert AuditEntry.objects.filter(object_id=str(cast.worker.pk), changes__has_key="is_active").count() == 2


def test_the_detail_page_shows_events_by_and_about_the_user(cast, client_for):
    client = client_for(cast.security_admin)
    client.post(reverse("accounts:user_set_active", args=[cast.worker.pk]), {"active": "0"})
    response = client.get(reverse("accounts:user_detail", args=[cast.worker.pk]))
    assert [e.kind for e in response.context["events"]] == [SecurityEventKind.USER_DISABLED]
    assert response.context["history"] is None  # the audit trail is the auditor's
    history = client_for(cast.auditor).get(reverse("accounts:user_detail", args=[cast.worker.pk])).context["history"]
    assert [entry.action for entry in history] == [AuditAction.UPDATE]
