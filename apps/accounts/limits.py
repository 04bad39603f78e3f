"""Counters against brute force: how often an address or an account did something
in the current window, kept in Redis so every accounts pod sees the same count.

A rate is "<count>/<period>" (settings.HEARTH_ACCOUNTS_LIMITS, from the
environment). Each counter is a fixed window that starts with its first hit:
one INCR and an EXPIRE NX in one round trip, atomic however many pods count at
once. Keys carry a hash of what is counted, so Redis never holds an email.

When Redis does not answer, limits let everything through (and log it): an
outage of the cache must not stop every sign-in. The gateway's per-address
limit still holds then.
"""

import hashlib
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django_redis import get_redis_connection
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> "Rate":
        match = _RATE.match(text)
        if not match:
            raise ValueError(f"a rate is <count>/<period> like 5/15m, not {text!r}")
        count, multiple, unit = match.groups()
        return cls(int(count), int(multiple or 1) * _UNITS[unit])


def rate(scope: str) -> Rate:
    return Rate.parse(settings.HEARTH_ACCOUNTS_LIMITS[scope])


def _key(scope: str, subject: str) -> str:
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    return f"{settings.HEARTH_LIMITS_KEY_PREFIX}:{scope}:{digest}"


def _redis():
    return get_redis_connection("default")


def hit(scope: str, subject: str) -> int | None:
    """Count one more; the seconds to wait if that goes over the limit, else None."""
    limit = rate(scope)
    key = _key(scope, subject)
    try:
        pipe = _redis().pipeline()
        pipe.incr(key)
        pipe.expire(key, limit.seconds, nx=True)
        pipe.ttl(key)
        count, _, ttl = pipe.execute()
    except RedisError as error:
        logger.warning(
            "limit not counted: Redis failed", extra={"scope": scope, "error": repr(error)}
        )
        return None
    return max(int(ttl), 1) if count > limit.count else None


def blocked(scope: str, subject: str) -> int | None:
    """The seconds to wait if the limit is already reached, else None (counts nothing)."""
    limit = rate(scope)
    key = _key(scope, subject)
    try:
        pipe = _redis().pipeline()
        pipe.get(key)
        pipe.ttl(key)
        count, ttl = pipe.execute()
    except RedisError as error:
        logger.warning("limit not read: Redis failed", extra={"scope": scope, "error": repr(error)})
        return None
    return max(int(ttl), 1) if count is not None and int(count) >= limit.count else None


def clear(scope: str, subject: str) -> None:
    try:
        _redis().delete(_key(scope, subject))
    except RedisError as error:
        logger.warning(
            "limit not cleared: Redis failed", extra={"scope": scope, "error": repr(error)}
        )
