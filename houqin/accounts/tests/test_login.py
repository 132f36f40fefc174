import pytest
from django.test import override_settings
from django.urls import reverse

from houqin.core.models import SecurityEvent, SecurityEventKind
from houqin.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


def login(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_it_shows_the_login_page(client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


def test_it_logs_in_and_records_the_login(client, alice):
    response = login(client, "alice", PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("core:home")
    event = SecurityEvent.objects.get(kind=SecurityEventKind.LOGIN)
    assert event.user == alice
    assert event.ip_address == "127.0.0.1"


def test_it_records_a_failed_login(client, alice):
    response = login(client, "alice", "wrong password")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    event = SecurityEvent.objects.get(kind=SecurityEventKind.LOGIN_FAILED)
    assert event.username == "alice"
    assert event.user is None


@override_settings(AXES_FAILURE_LIMIT=3, AXES_COOLOFF_TIME=0.25)
def test_it_locks_out_after_too_many_failures(client, alice):
    for _ in range(2):
        assert login(client, "alice", "wrong password").status_code == 200
    response = login(client, "alice", "wrong password")
    assert response.status_code == 429
    assert "accounts/locked_out.html" in [t.name for t in response.templates]
    assert b'id="hq-locked-out"' in response.content
    assert b"alice" in response.content
    # "Try again in 15 minutes", in Chinese like the rest of the page: AXES_COOLOFF_TIME = 0.25 hours
    assert "请 15 分钟后再试。" in response.content.decode()
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.LOCKED_OUT, username="alice").exists()
    # Even the right password is refused while locked.
    response = login(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_it_logs_out_by_post_only(client_for, alice):
    client = client_for(alice)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response.url == reverse("accounts:login")
    assert "_auth_user_id" not in client.session
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.LOGOUT, user=alice).exists()


def test_it_sends_a_logged_in_user_home(client_for, alice):
    response = client_for(alice).get(reverse("accounts:login"))
    assert response.status_code == 302
    assert response.url == reverse("core:home")
