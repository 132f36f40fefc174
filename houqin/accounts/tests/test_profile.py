import pytest
from django.urls import reverse

from houqin.accounts.models import User
from houqin.core.models import AuditEntry, SecurityEvent, SecurityEventKind
from houqin.org.tests.factories import in_english

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"


def test_it_asks_to_log_in(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_it_shows_name_roles_and_person(cast, client_for):
    response = client_for(cast.department_user).get(reverse("accounts:profile"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "科室用户" in text  # "Department user", in the user's Chinese
    assert "心内科" in text  # the linked person's department
    assert "本院" in text  # and company


def test_it_works_for_a_user_without_person_or_role(cast, client_for):
    response = client_for(cast.outsider).get(reverse("accounts:profile"))
    assert response.status_code == 200
    assert "未关联人员档案" in response.content.decode()  # "Not linked to a staff record"


def test_it_switches_the_language_from_the_next_request(cast, client_for):
    client = client_for(cast.worker)
    response = client.get(reverse("accounts:profile"))
    assert response["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in response.content.decode()

    response = client.post(reverse("accounts:profile_language"), {"language": "en"})
    assert response.status_code == 302
    cast.worker.refresh_from_db()
    assert cast.worker.language == "en"

    response = client.get(reverse("accounts:profile"))
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in response.content.decode()
    assert AuditEntry.objects.filter(object_id=str(cast.worker.pk), changes__has_key="language").exists()


def test_it_refuses_an_unknown_language(cast, client_for):
    response = client_for(cast.worker).post(reverse("accounts:profile_language"), {"language": "xx"})
    assert response.status_code == 400
    cast.worker.refresh_from_db()
    assert cast.worker.language == ""


def test_it_changes_the_password_and_keeps_the_session(cast, client_for):
    client = client_for(in_english(cast.worker))  # the audit note is written in the user's language
    response = client.post(
        reverse("accounts:profile_password"),
        {"old_password": PASSWORD, "new_password1": "Ziwei-Hall-2026", "new_password2": "Ziwei-Hall-2026"},
    )
    assert response.status_code == 302
    cast.worker.refresh_from_db()
    assert cast.worker.check_password("Ziwei-Hall-2026")
    assert client.get(reverse("accounts:profile")).status_code == 200  # still logged in
    event = SecurityEvent.objects.get(kind=SecurityEventKind.PASSWORD_CHANGED)
    assert event.user == cast.worker
    entry = AuditEntry.objects.get(object_id=str(cast.worker.pk), note__contains="password")
    assert "password" not in entry.changes
    assert "Ziwei" not in str(entry.changes)


def test_it_refuses_a_wrong_old_password(cast, client_for):
    response = client_for(cast.worker).post(
        reverse("accounts:profile_password"),
        {"old_password": "nope", "new_password1": "Ziwei-Hall-2026", "new_password2": "Ziwei-Hall-2026"},
    )
    assert response.status_code == 400
    assert "old_password" in response.context["password_form"].errors
    assert User.objects.get(pk=cast.worker.pk).check_password(PASSWORD)
    assert not SecurityEvent.objects.filter(kind=SecurityEventKind.PASSWORD_CHANGED).exists()


def test_it_refuses_a_weak_new_password(cast, client_for):
    response = client_for(cast.worker).post(
        reverse("accounts:profile_password"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 400
    assert User.objects.get(pk=cast.worker.pk).check_password(PASSWORD)
