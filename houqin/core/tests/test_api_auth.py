import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from houqin.accounts.models import ApiToken, hash_token
from houqin.accounts.tokens import authenticate_token, create_token, revoke_token
from houqin.core.models import SecurityEvent, SecurityEventKind
from houqin.core.tests.apiclient import BASE, Api, api_as
from houqin.org.models import Site


def with_key(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_a_token_reads_what_its_user_may_read(cast, client):
    _token, key = create_token(cast.director, name="dashboard", by=cast.security_admin)
    response = client.get(f"{BASE}/sites", **with_key(key))
    assert response.status_code == 200
    assert [site["code"] for site in response.json()["items"]] == ["MAIN"]


def test_it_refuses_anonymous_requests(cast, client):
    response = client.get(f"{BASE}/sites")
    assert response.status_code == 401
    assert response.json()["errors"] == {}
    assert "Bearer" in response["WWW-Authenticate"]


@pytest.mark.parametrize("header", ["Bearer hq_wrong", "Bearer ", "Bearer " + "x" * 500, "bearer hq_\x01"])
def test_it_refuses_a_wrong_token(cast, client, header):
    response = client.get(f"{BASE}/sites", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "errors"}


def test_it_refuses_a_revoked_token(cast, client):
    token, key = create_token(cast.director, name="old", by=cast.director)
    revoke_token(token, by=cast.security_admin)
    assert client.get(f"{BASE}/sites", **with_key(key)).status_code == 401


def test_it_refuses_an_expired_token(cast, client):
    token, key = create_token(
        cast.director, name="short", expires_at=timezone.now() + datetime.timedelta(hours=1), by=cast.director
    )
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert client.get(f"{BASE}/sites", **with_key(key)).status_code == 401


def test_it_refuses_the_token_of_a_deactivated_user(cast, client):
    _token, key = create_token(cast.director, name="his", by=cast.director)
    cast.director.is_active = False
    cast.director.save()
    assert client.get(f"{BASE}/sites", **with_key(key)).status_code == 401


def test_a_wrong_token_is_refused_even_with_a_valid_session(cast, client_for):
    client = client_for(cast.director)
    assert client.get(f"{BASE}/sites").status_code == 200
    assert client.get(f"{BASE}/sites", HTTP_AUTHORIZATION="Bearer hq_wrong").status_code == 401


def test_a_token_carries_only_its_users_permissions(cast, client):
    worker = api_as(client, cast.worker)
    assert worker.get("/sites").status_code == 200
    assert worker.get("/people").status_code == 403
    response = worker.post("/sites", {"code": "EAST", "name": "东院"})
    assert response.status_code == 403
    assert set(response.json()) == {"detail", "errors"}
    assert not Site.objects.filter(code="EAST").exists()


def test_a_user_without_any_role_is_refused(cast, client):
    assert api_as(client, cast.outsider).get("/sites").status_code == 403


def test_a_session_reads_without_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.system_admin, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(f"{BASE}/sites").status_code == 200


def test_a_session_needs_the_csrf_token_to_write(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.system_admin, backend="django.contrib.auth.backends.ModelBackend")
    body = json.dumps({"code": "EAST", "name": "东院"})
    refused = client.post(f"{BASE}/sites", body, content_type="application/json")
    assert refused.status_code == 403
    assert not Site.objects.filter(code="EAST").exists()

    client.get(f"{BASE}/docs")  # the interactive docs page hands out the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    accepted = client.post(f"{BASE}/sites", body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert accepted.status_code == 201, accepted.content


def test_a_token_needs_no_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    response = Api(client, cast.system_admin).post("/sites", {"code": "EAST", "name": "东院"})
    assert response.status_code == 201


def test_only_the_hash_of_a_key_is_stored(cast):
    token, key = create_token(cast.director, name="bi", by=cast.director)
    token.refresh_from_db()
    assert key.startswith("hq_")
    assert token.key_hash == hash_token(key)
    assert key not in {token.key_hash, token.key_hint}
    assert authenticate_token(key) == cast.director


def test_last_used_is_written_at_most_once_a_minute(cast):
    token, key = create_token(cast.director, name="bi", by=cast.director)
    authenticate_token(key)
    token.refresh_from_db()
    first = token.last_used
    assert first is not None
    authenticate_token(key)
    token.refresh_from_db()
    assert token.last_used == first
    ApiToken.objects.filter(pk=token.pk).update(last_used=first - datetime.timedelta(minutes=2))
    authenticate_token(key)
    token.refresh_from_db()
    assert token.last_used > first - datetime.timedelta(minutes=2)


def test_creating_and_revoking_a_token_are_security_events(cast):
    token, _key = create_token(cast.director, name="bi", by=cast.security_admin)
    revoke_token(token, by=cast.security_admin)
    revoke_token(token, by=cast.security_admin)  # a second revoke changes nothing
    events = SecurityEvent.objects.filter(user=cast.director).order_by("id")
    assert [e.kind for e in events] == [SecurityEventKind.TOKEN_CREATED, SecurityEventKind.TOKEN_REVOKED]
    assert events[0].detail["by"] == "secadmin"
    assert events[0].detail["name"] == "bi"


def test_it_refuses_a_token_without_a_name(cast):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        create_token(cast.director, name="  ", by=cast.director)


def test_createtoken_prints_a_key_that_works(cast, client):
    out = io.StringIO()
    call_command("createtoken", "director", "--name", "大屏", "--days", "30", stdout=out, stderr=io.StringIO())
    key = out.getvalue().strip()
    token = ApiToken.objects.get(key_hash=hash_token(key))
    assert token.name == "大屏"
    assert token.expires_at > timezone.now() + datetime.timedelta(days=29)
    assert client.get(f"{BASE}/sites", **with_key(key)).status_code == 200


def test_createtoken_refuses_an_unknown_user(db):
    with pytest.raises(CommandError):
        call_command("createtoken", "nobody", stdout=io.StringIO(), stderr=io.StringIO())
