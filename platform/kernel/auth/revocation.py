"""Sessions that end before their access tokens expire: sign-out, a reused refresh
token, "sign out everywhere", a password reset.

Access tokens are checked locally by every deployable, so ending a session has to
reach each of them, without any of them asking accounts per request. Accounts
publishes an event in the transaction that ends the session; every deployable that
checks user tokens consumes accounts' topic (REVOCATION_CONSUMER, one group per
deployable) into its own Redis, as two kinds of mark:

    revoked:sid:<session id>    that session (token family, the `sid` claim) has ended
    revoked:user:<user id>      a cut-off: the user's tokens issued (`iat`) before it are void

UserTokenAuthentication reads both with one MGET per request (`is_revoked`).

A mark lives as long as an access token can (ACCESS_TOKEN_LIFETIME + LEEWAY) past
the moment it records: by then every token it could refuse has expired anyway, so
Redis holds only the last few minutes of revocations, and an event older than that
(a consumer replaying history) writes nothing.

The kernel knows no context: settings name the topic and the event types
(HEARTH_REVOCATION_EVENTS, composed in config from accounts' contracts):

    "topic":        the topic to read
    "session_ended": event types whose payload has `session_id`; the time is the
                     envelope's `occurred_at`
    "user_cut_off":  {event type: payload field holding the cut-off time}, payload
                     also has `user_id`

When Redis cannot be read, the check fails open: the token is accepted (it still
expires within ACCESS_TOKEN_LIFETIME, the bound before this check existed), the
error is logged, and the check is skipped for a few seconds so a hanging Redis does
not add its timeout to every request. Refusing every signed-in request while Redis
is down would turn a cache outage into a platform outage. Writes never fail
silently: the consumer waits for Redis (StoreUnavailable), so no revocation is lost.
"""

import logging
import threading
import time
from datetime import UTC, datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import cache as default_cache
from django_redis import get_redis_connection
from redis.exceptions import RedisError

from kernel.events.consumer import ConsumerSpec, StoreUnavailable
from kernel.events.envelope import Envelope

logger = logging.getLogger(__name__)

# After a failed read, how long requests go unchecked before Redis is tried again.
READ_FAILURE_PAUSE_SECONDS = 5.0

# Sets the cut-off only if it is later than the one stored: events of one user may
# arrive from the consumer and from accounts' own write in either order.
_LATER_CUT_OFF = """
local current = redis.call('GET', KEYS[1])
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""


def session_key(session_id: str) -> str:
    return default_cache.make_key(f"revoked:sid:{session_id}")


def user_key(user_id: str) -> str:
    return default_cache.make_key(f"revoked:user:{user_id}")


def _redis():
    return get_redis_connection("default")


def mark_window_seconds() -> float:
    """How long a mark matters: as long as the tokens it refuses can live."""
    jwt = settings.SIMPLE_JWT
    return jwt["ACCESS_TOKEN_LIFETIME"].total_seconds() + jwt.get("LEEWAY", 0)


def _remaining_ms(at: datetime) -> int:
    return int((at.timestamp() + mark_window_seconds() - time.time()) * 1000)


def revoke_session(session_id: str, *, at: datetime) -> bool:
    """Void the session's tokens. False if `at` is too long ago to matter."""
    ttl_ms = _remaining_ms(at)
    if ttl_ms <= 0:
        return False
    try:
        _redis().set(session_key(session_id), "1", px=ttl_ms)
    except RedisError as error:
        raise StoreUnavailable(f"could not mark session {session_id} revoked: {error}") from error
    return True


def cut_off_user(user_id: str, *, before: datetime) -> bool:
    """Void the user's tokens issued before `before`. False if that is too long ago
    to matter (or a later cut-off is already stored)."""
    ttl_ms = _remaining_ms(before)
    if ttl_ms <= 0:
        return False
    try:
        stored = _redis().register_script(_LATER_CUT_OFF)(
            keys=[user_key(user_id)], args=[repr(before.timestamp()), ttl_ms]
        )
    except RedisError as error:
        raise StoreUnavailable(f"could not store a cut-off for user {user_id}: {error}") from error
    return bool(stored)


class _ReadFailures:
    """Remembers a failed read, so the next requests skip Redis for a moment."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.paused_until = 0.0

    def paused(self) -> bool:
        return time.monotonic() < self.paused_until

    def failed(self, error: Exception) -> None:
        with self._lock:
            if self.paused():
                return
            self.paused_until = time.monotonic() + READ_FAILURE_PAUSE_SECONDS
        logger.warning(
            "revocation check skipped: Redis unreadable; tokens are accepted until they expire",
            extra={"error": repr(error), "pause_seconds": READ_FAILURE_PAUSE_SECONDS},
        )


_read_failures = _ReadFailures()


def is_revoked(claims: dict[str, Any]) -> bool:
    """Whether a user token's session has ended: its `sid` is revoked, or it was
    issued before its user's cut-off. One Redis round trip; fails open."""
    if not settings.HEARTH_REVOCATION_CHECK or _read_failures.paused():
        return False
    session_id = claims.get("sid")
    keys = [user_key(claims["sub"])]
    if session_id:
        keys.append(session_key(session_id))
    try:
        values = _redis().mget(keys)
    except RedisError as error:
        _read_failures.failed(error)
        return False
    cut_off, session_revoked = values[0], (values[1] if session_id else None)
    if session_revoked is not None:
        return True
    return cut_off is not None and float(claims["iat"]) < float(cut_off)


# --- the consumer --------------------------------------------------------------


def _on_session_ended(envelope: Envelope) -> None:
    revoke_session(envelope.payload["session_id"], at=envelope.occurred_at)


def _on_user_cut_off(envelope: Envelope, *, field: str) -> None:
    before = datetime.fromisoformat(envelope.payload[field]).astimezone(UTC)
    cut_off_user(envelope.payload["user_id"], before=before)


def revocation_consumer() -> ConsumerSpec:
    """This deployable's consumer of revocation events, from its settings."""
    events = settings.HEARTH_REVOCATION_EVENTS
    handlers = {event_type: _on_session_ended for event_type in events["session_ended"]}
    handlers.update(
        {
            event_type: partial(_on_user_cut_off, field=field)
            for event_type, field in events["user_cut_off"].items()
        }
    )
    return ConsumerSpec(
        group_id=f"hearth.{settings.HEARTH_SERVICE}.revocation",
        topics=(events["topic"],),
        handlers=handlers,
    )


def __getattr__(name: str) -> ConsumerSpec:
    # REVOCATION_CONSUMER is named in settings (HEARTH_EVENT_CONSUMERS) like any
    # other spec, but depends on the deployable, so it is built when looked up.
    if name == "REVOCATION_CONSUMER":
        return revocation_consumer()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
