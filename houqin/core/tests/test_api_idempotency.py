import datetime
import hashlib
import json

from django.db.models import QuerySet
from django.utils import timezone

from houqin.core.models import AuditEntry, IdempotencyRecord
from houqin.core.tests.apiclient import api_as
from houqin.org.models import Site

EAST = {"code": "EAST", "name": "东院"}


def test_the_same_key_and_body_answer_the_first_result(cast, client):
    api = api_as(client, cast.system_admin)
    first = api.post("/sites", EAST, HTTP_IDEMPOTENCY_KEY="call-4711")
    again = api.post("/sites", EAST, HTTP_IDEMPOTENCY_KEY="call-4711")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Site.objects.filter(code="EAST").count() == 1
    assert AuditEntry.objects.filter(object_repr="东院", action="create").count() == 1


def test_the_same_key_with_another_body_is_a_conflict(cast, client):
    api = api_as(client, cast.system_admin)
    assert api.post("/sites", EAST, HTTP_IDEMPOTENCY_KEY="k1").status_code == 201
    response = api.post("/sites", {"code": "WEST", "name": "西院"}, HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 409
    assert set(response.json()) == {"detail", "errors"}
    assert not Site.objects.filter(code="WEST").exists()


def test_keys_belong_to_one_user(cast, client):
    api_as(client, cast.system_admin).post("/sites", EAST, HTTP_IDEMPOTENCY_KEY="k1")
    response = api_as(client, cast.contractor_manager).post("/sites", EAST, HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 403  # judged on its own, not replayed from another user's request


def test_without_a_key_every_request_creates(cast, client):
    api = api_as(client, cast.system_admin)
    assert api.post("/trades", {"code": "ELEC", "name": "电工"}).status_code == 201
    assert api.post("/trades", {"code": "ELEC", "name": "电工"}).status_code == 400  # the code is taken now


def test_a_refused_request_is_not_remembered(cast, client):
    api = api_as(client, cast.system_admin)
    assert api.post("/sites", {"code": "EAST"}, HTTP_IDEMPOTENCY_KEY="k2").status_code == 400
    assert api.post("/sites", EAST, HTTP_IDEMPOTENCY_KEY="k2").status_code == 201


def test_an_expired_key_may_be_used_again(cast, client):
    api = api_as(client, cast.system_admin)
    api.post("/sites", EAST, HTTP_IDEMPOTENCY_KEY="k3")
    IdempotencyRecord.objects.update(created=timezone.now() - datetime.timedelta(days=2))
    response = api.post("/sites", {"code": "WEST", "name": "西院"}, HTTP_IDEMPOTENCY_KEY="k3")
    assert response.status_code == 201


def test_a_concurrent_request_with_the_same_key_creates_nothing_and_replays(cast, client, monkeypatch):
    """Two requests with one key arrive together: both miss the record, the other one commits first.
    Ours then hits the unique constraint, rolls its creation back and answers like the winner."""
    api = api_as(client, cast.system_admin)
    winner = api.post("/sites", EAST, HTTP_IDEMPOTENCY_KEY="k4")
    body = json.dumps(EAST).encode()
    assert IdempotencyRecord.objects.get(key="k4").body_hash == hashlib.sha256(body).hexdigest()
    # Our request is for another site code, with the winner's body hash: same body as far as the key knows.
    IdempotencyRecord.objects.filter(key="k4").update(
        body_hash=hashlib.sha256(json.dumps({"code": "LATE", "name": "晚到"}).encode()).hexdigest()
    )

    original_first = QuerySet.first
    calls = {"n": 0}

    def first_misses_once(queryset):
        if queryset.model is IdempotencyRecord and calls["n"] == 0:
            calls["n"] += 1
            return None
        return original_first(queryset)

    monkeypatch.setattr(QuerySet, "first", first_misses_once)
    response = api.post("/sites", {"code": "LATE", "name": "晚到"}, HTTP_IDEMPOTENCY_KEY="k4")
    assert response.status_code == 201
    assert response.json() == winner.json()
    assert not Site.objects.filter(code="LATE").exists()
    assert not AuditEntry.objects.filter(object_repr="晚到").exists()
