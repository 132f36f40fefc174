import pytest
from django.urls import reverse

from houqin.accounts.models import ApiToken, hash_token
from houqin.accounts.tokens import create_token
from houqin.core.models import SecurityEvent, SecurityEventKind
from houqin.org.tests.factories import in_english

pytestmark = pytest.mark.django_db


def test_it_creates_a_token_and_shows_the_key_once(cast, client_for):
    client = client_for(cast.agent)
    response = client.post(reverse("accounts:token_create"), {"name": "telephone system", "expires_in_days": "30"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=cast.agent)
    key = response.context["new_key"]
    assert key.startswith(ApiToken.PREFIX)
    assert key in response.content.decode()
    assert token.key_hash == hash_token(key)
    assert token.expires_at is not None
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.TOKEN_CREATED, user=cast.agent).exists()

    again = client.get(reverse("accounts:profile")).content.decode()
    assert key not in again
    assert "telephone system" in again
    assert token.key_hint in again


def test_it_creates_a_token_without_expiry(cast, client_for):
    response = client_for(cast.agent).post(reverse("accounts:token_create"), {"name": "script"})
    assert response.status_code == 200
    assert ApiToken.objects.get(user=cast.agent).expires_at is None


def test_it_refuses_a_token_without_name_or_with_bad_expiry(cast, client_for):
    client = client_for(cast.agent)
    assert client.post(reverse("accounts:token_create"), {"name": ""}).status_code == 400
    response = client.post(reverse("accounts:token_create"), {"name": "x", "expires_in_days": "0"})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_it_revokes_a_token(cast, client_for):
    token, _key = create_token(cast.agent, name="HIS", by=cast.agent)
    response = client_for(cast.agent).post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert not token.is_active
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.TOKEN_REVOKED).exists()
    assert "revoked" in client_for(in_english(cast.agent)).get(reverse("accounts:profile")).content.decode()


def test_it_refuses_to_revoke_someone_elses_token(cast, client_for):
    token, _key = create_token(cast.worker, name="HIS", by=cast.worker)
    response = client_for(cast.agent).post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_it_revokes_by_post_only(cast, client_for):
    token, _key = create_token(cast.agent, name="HIS", by=cast.agent)
    assert client_for(cast.agent).get(reverse("accounts:token_revoke", args=[token.pk])).status_code == 405
