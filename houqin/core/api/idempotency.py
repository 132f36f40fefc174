"""Idempotency-Key: a creation repeated with the same key and body answers the first result."""

import datetime
import hashlib
from collections.abc import Callable
from typing import Any

from django.core import validators
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Header

from houqin.core.api.errors import InvalidInput, json_response
from houqin.core.exceptions import ConflictError
from houqin.core.models import IdempotencyRecord

# An answer is replayed for this long; afterwards the key may be used again.
IDEMPOTENCY_TTL = datetime.timedelta(hours=24)


class _KeyTaken(Exception):
    pass


def idempotency_key_header():
    """The `Idempotency-Key` header parameter, for any creating endpoint."""
    return Header(
        None,
        alias="Idempotency-Key",
        max_length=200,
        description="repeat a creation safely: the same key with the same body answers the first result again",
    )


def idempotent(request, key: str | None, create: Callable[[], tuple[int, Any]]) -> HttpResponse:
    """Run create() (→ status, JSON-ready body) once per Idempotency-Key.

    Same key and body again → the first answer, replayed (header Idempotent-Replayed: true);
    same key with another body → 409. The record is written in the creation's transaction, so
    of two concurrent requests with one key only one creates; the other replays its answer."""
    if not key:
        status, body = create()
        return json_response(body, status)
    key = key.strip()
    if not key or not key.isascii() or not key.isprintable():
        raise InvalidInput({"Idempotency-Key": [str(validators.RegexValidator.message)]})
    method_path = f"{request.method} {request.path}"[:300]
    body_hash = hashlib.sha256(request.body).hexdigest()
    records = IdempotencyRecord.objects.filter(user=request.user, key=key, method_path=method_path)
    records.filter(created__lt=timezone.now() - IDEMPOTENCY_TTL).delete()

    def replay(record: IdempotencyRecord) -> HttpResponse:
        if record.body_hash != body_hash:
            raise ConflictError(_("This Idempotency-Key was already used with a different request body."))
        response = json_response(record.response_body, record.status_code)
        response["Idempotent-Replayed"] = "true"
        return response

    if (record := records.first()) is not None:
        return replay(record)
    try:
        with transaction.atomic():
            status, body = create()
            if 200 <= status < 300:
                try:
                    with transaction.atomic():
                        IdempotencyRecord.objects.create(
                            user=request.user,
                            key=key,
                            method_path=method_path,
                            body_hash=body_hash,
                            status_code=status,
                            response_body=body,
                        )
                except IntegrityError as exc:
                    # A concurrent request with this key committed first: undo ours, answer theirs.
                    raise _KeyTaken from exc
    except (_KeyTaken, IntegrityError) as exc:
        # The twin request may also have beaten ours to a unique business code: if it has left its
        # answer under this key, that answer is ours too.
        record = records.first()
        if record is not None:
            return replay(record)
        if isinstance(exc, IntegrityError):
            raise
        raise ConflictError(_("A request with this Idempotency-Key is in progress; try again.")) from None
    return json_response(body, status)


def purge_idempotency_records(older_than: datetime.timedelta = IDEMPOTENCY_TTL) -> int:
    """Delete answers kept for replay longer than needed; returns how many. For a periodic task."""
    deleted, _detail = IdempotencyRecord.objects.filter(created__lt=timezone.now() - older_than).delete()
    return deleted
