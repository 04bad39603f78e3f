"""Idempotency-Key for the API's writes: a repeat gets the first answer.

    first request with a key      run it, store (request hash, status, body)
    the same key, the same body   the stored answer, replayed (Idempotent-Replayed: true)
    the same key, another body    422, nothing run
    a key older than PAYMENTS_IDEMPOTENCY_KEY_HOURS (>= 24 h)   forgotten: a new request

Concurrent requests with one key serialise on a PostgreSQL advisory lock named by
(renter, key), held for the whole request: a database lock, so it holds across
threads, workers and pods. The first runs; the others wait, then replay its answer.
Twenty parallel submits make one charge. The lock is a session lock because a pay
request commits twice (apps.payments.services, "Charging"); it is always released,
and a lost session releases it too.

Answers with a 5xx status are not stored: the client may retry with the same key.
"""

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.payments.models import IdempotencyKey

MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    replayed: bool = False


class KeyReused(Exception):
    """The key was used for a different request."""


def request_hash(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


@contextmanager
def _advisory_lock(name: str) -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [name])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [name])


def run(*, renter_id: Any, key: str, fingerprint: str, compute: Callable[[], Answer]) -> Answer:
    """The answer for this key: the stored one, or compute()'s, stored. KeyReused when
    the key was used for another request."""
    with _advisory_lock(f"payments.idempotency:{renter_id}:{key}"):
        horizon = timezone.now() - timedelta(hours=settings.PAYMENTS_IDEMPOTENCY_KEY_HOURS)
        row_id = hashlib.sha256(f"{renter_id}:{key}".encode()).hexdigest()
        stored = IdempotencyKey.objects.filter(renter_id=renter_id, pk=row_id).first()
        if stored is not None and stored.created_at < horizon:
            stored.delete()
            stored = None
        if stored is not None:
            if stored.request_hash != fingerprint:
                raise KeyReused
            return Answer(stored.response_status, stored.response_body, replayed=True)
        answer = compute()
        if answer.status < 500:
            with transaction.atomic():
                IdempotencyKey.objects.create(
                    id=row_id,
                    renter_id=renter_id,
                    key=key,
                    request_hash=fingerprint,
                    response_status=answer.status,
                    response_body=answer.body,
                )
        return answer


def forget_expired() -> int:
    """Delete keys past their time (reconciliation runs it); how many."""
    horizon = timezone.now() - timedelta(hours=settings.PAYMENTS_IDEMPOTENCY_KEY_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=horizon).delete()
    return deleted
