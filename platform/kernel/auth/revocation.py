"""Sessions that end before their access tokens expire: sign-out, a reused refresh
token, "sign out everywhere", a password reset.

Access tokens are checked locally by every deployable, so ending a session has to
reach each of them, without any of them asking accounts per request. Accounts
publishes an event in the transaction that ends the session; every deployable that
checks user tokens consumes accounts' topic (REVOCATION_CONSUMER, one group per
deployable) into its own Redis, as two kinds of mark:

    revoked:sid:<session id>   that session (token family, the `sid` claim) has ended
    revoked:user:<user id>     a cut-off: the user's tokens issued (`iat`) before it are void

UserTokenAuthentication refuses a token whose session has ended (`is_revoked`).

A mark lives as long as an access token can (ACCESS_TOKEN_LIFETIME + LEEWAY) past
the moment it records: by then every token it could refuse has expired anyway, so
Redis holds only the last few minutes of revocations, and an event older than that
(a consumer replaying history) writes nothing.

**The check costs no round trip.** Each process keeps a mirror of the marks in
memory (`_Mirror`): a thread subscribes to the deployable's revocation channel,
loads the marks present, then applies each new one, which every writer publishes
in the same Redis transaction as the mark itself. While the mirror is not in sync
(starting, or its connection lost), the check reads Redis instead: one MGET of the
two keys. HEARTH_REVOCATION_MIRROR=false always reads Redis.

**Redis down: the check fails open.** The token is accepted (it still expires
within ACCESS_TOKEN_LIFETIME, the bound before this check existed), the error is
logged, and Redis is not asked again for a few seconds, so a hanging Redis does not
add its timeout to every request. Refusing every signed-in request while Redis is
down would turn a cache outage into a platform outage. Writes never fail silently:
the consumer waits for Redis (StoreUnavailable), so no revocation is lost.

The kernel knows no context: settings name the topic and the event types
(HEARTH_REVOCATION_EVENTS, composed in config from accounts' contracts):

    "topic":         the topic to read
    "session_ended": event types whose payload has `session_id`; the time is the
                     envelope's `occurred_at`
    "user_cut_off":  {event type: payload field holding the cut-off time}; the
                     payload also has `user_id`
"""

import logging
import threading
import time
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.core.cache import cache as default_cache
from django_redis import get_redis_connection
from redis.exceptions import RedisError
from redis.sentinel import Sentinel

from kernel.events.consumer import ConsumerSpec, StoreUnavailable
from kernel.events.envelope import Envelope

logger = logging.getLogger(__name__)

# After a failed read, how long requests go unchecked before Redis is tried again.
READ_FAILURE_PAUSE_SECONDS = 5.0
# The mirror's connection pings this often when idle, so a dead one is noticed.
MIRROR_HEALTH_CHECK_SECONDS = 5
SESSION, USER = "sid", "user"

# Stores the cut-off only if it is later than the one stored (events of one user may
# arrive from the consumer and from accounts' own write in either order), and
# publishes it to the mirrors in the same step.
_LATER_CUT_OFF = """
local current = redis.call('GET', KEYS[1])
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
"""


def _key(kind: str, subject_id: str) -> str:
    return default_cache.make_key(f"revoked:{kind}:{subject_id}")


def session_key(session_id: str) -> str:
    return _key(SESSION, session_id)


def user_key(user_id: str) -> str:
    return _key(USER, user_id)


def channel() -> str:
    """Where writers announce marks to the mirrors (within the deployable's namespace)."""
    return default_cache.make_key("revoked:marks")


def _redis():
    return get_redis_connection("default")


def _mirror_client(where: dict[str, Any]) -> redis.Redis:
    """The mirror's own connection to the cache's Redis: to the primary the sentinels
    name, when there are sentinels, so that after a failover it follows the new one."""
    options = {
        "socket_connect_timeout": 1,
        "socket_timeout": 5,
        "health_check_interval": MIRROR_HEALTH_CHECK_SECONDS,
    }
    if not where["sentinels"]:
        return redis.Redis.from_url(where["location"], **options)
    url = urlsplit(where["location"])
    sentinel = Sentinel(where["sentinels"], sentinel_kwargs=where["sentinel_kwargs"])
    return sentinel.master_for(
        url.hostname,
        username=url.username,
        password=url.password,
        db=int(url.path.strip("/") or 0),
        **options,
    )


def mark_window_seconds() -> float:
    """How long a mark matters: as long as the tokens it refuses can live."""
    jwt = settings.SIMPLE_JWT
    return jwt["ACCESS_TOKEN_LIFETIME"].total_seconds() + jwt.get("LEEWAY", 0)


def _remaining_ms(at: float) -> int:
    return int((at + mark_window_seconds() - time.time()) * 1000)


# --- writing marks ---------------------------------------------------------------


def revoke_session(session_id: str, *, at: datetime) -> bool:
    """Void the session's tokens. False if `at` is too long ago to matter."""
    if not publish_session_mark(session_id, at=at.timestamp()):
        return False
    _mirror.apply(SESSION, session_id, at.timestamp())  # this process knows at once
    return True


def cut_off_user(user_id: str, *, before: datetime) -> bool:
    """Void the user's tokens issued before `before`. False if that is too long ago
    to matter, or a later cut-off is stored already."""
    if not publish_cut_off(user_id, before=before.timestamp()):
        return False
    _mirror.apply(USER, user_id, before.timestamp())
    return True


def publish_session_mark(session_id: str, *, at: float) -> bool:
    """Store the mark and announce it to every mirror, in one Redis transaction."""
    ttl_ms = _remaining_ms(at)
    if ttl_ms <= 0:
        return False
    try:
        with _redis().pipeline(transaction=True) as pipe:
            pipe.set(session_key(session_id), repr(at), px=ttl_ms)
            pipe.publish(channel(), f"{SESSION} {session_id} {at!r}")
            pipe.execute()
    except RedisError as error:
        raise StoreUnavailable(f"could not mark session {session_id} revoked: {error}") from error
    return True


def publish_cut_off(user_id: str, *, before: float) -> bool:
    ttl_ms = _remaining_ms(before)
    if ttl_ms <= 0:
        return False
    try:
        stored = _redis().register_script(_LATER_CUT_OFF)(
            keys=[user_key(user_id)],
            args=[repr(before), ttl_ms, channel(), f"{USER} {user_id} {before!r}"],
        )
    except RedisError as error:
        raise StoreUnavailable(f"could not store a cut-off for user {user_id}: {error}") from error
    return bool(stored)


# --- the check -------------------------------------------------------------------


def is_revoked(claims: dict[str, Any]) -> bool:
    """Whether a user token's session has ended: its `sid` is revoked, or it was
    issued before its user's cut-off. From the mirror, else one MGET; fails open."""
    if not settings.HEARTH_REVOCATION_CHECK:
        return False
    if settings.HEARTH_REVOCATION_MIRROR:
        verdict = _mirror.verdict(claims)
        if verdict is not None:
            return verdict
    return _redis_verdict(claims)


def _refuses(claims: dict[str, Any], session_revoked: bool, cut_off: float | None) -> bool:
    return session_revoked or (cut_off is not None and float(claims["iat"]) < cut_off)


def _redis_verdict(claims: dict[str, Any]) -> bool:
    if _read_failures.paused():
        return False
    session_id = claims.get("sid")
    keys = [user_key(claims["sub"])] + ([session_key(session_id)] if session_id else [])
    try:
        values = _redis().mget(keys)
    except RedisError as error:
        _read_failures.failed(error)
        return False
    cut_off = float(values[0]) if values[0] is not None else None
    return _refuses(claims, session_id is not None and values[-1] is not None, cut_off)


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


class _Mirror:
    """This process's copy of the marks, so the check needs no round trip.

    A daemon thread (started by the first check) subscribes to the channel, waits
    for the subscription to be confirmed, loads the marks already in Redis, and
    from then on applies each announced mark: `in_sync` from the load until the
    connection fails (a lost or dead connection is noticed within
    MIRROR_HEALTH_CHECK_SECONDS plus a socket timeout), and then again after the
    next load. Applying a mark twice is harmless, so a mark both loaded and
    announced is fine. Entries are dropped once past the mark window.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.in_sync = False
        self.sessions: dict[str, float] = {}  # session id -> revoked at (epoch)
        self.cut_offs: dict[str, float] = {}  # user id -> cut-off (epoch)

    def verdict(self, claims: dict[str, Any]) -> bool | None:
        """The answer from memory; None while not in sync (ask Redis)."""
        if not self.in_sync:
            self._start()
            return None
        oldest = time.time() - mark_window_seconds()
        session_id = claims.get("sid")
        revoked_at = self.sessions.get(session_id) if session_id else None
        cut_off = self.cut_offs.get(claims["sub"])
        return _refuses(
            claims,
            revoked_at is not None and revoked_at > oldest,
            cut_off if cut_off is not None and cut_off > oldest else None,
        )

    def apply(self, kind: str, subject_id: str, at: float) -> None:
        marks = self.sessions if kind == SESSION else self.cut_offs
        with self._lock:
            if at > marks.get(subject_id, float("-inf")):
                marks[subject_id] = at

    def stop(self) -> None:
        """Stop the thread and forget the marks (tests; a changed Redis)."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
        if thread:
            thread.join(10)
        self.in_sync = False
        self.sessions.clear()
        self.cut_offs.clear()

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop = threading.Event()
            cache = settings.CACHES["default"]
            settings_now = {
                "location": cache["LOCATION"],
                "sentinels": cache["OPTIONS"].get("SENTINELS"),
                "sentinel_kwargs": cache["OPTIONS"].get("SENTINEL_KWARGS"),
                "channel": channel(),
                "pattern": default_cache.make_key("revoked:*"),
            }
            self._thread = threading.Thread(
                target=self._run, args=(self._stop, settings_now), name="revocation-mirror"
            )
            self._thread.daemon = True
            self._thread.start()

    def _run(self, stop: threading.Event, where: dict[str, Any]) -> None:
        failed_before = False
        while not stop.is_set():
            client = _mirror_client(where)
            try:
                self._follow(client, stop, where)
            except (RedisError, OSError) as error:
                if not failed_before:
                    logger.warning(
                        "revocation mirror out of sync; checks read Redis",
                        extra={"error": repr(error)},
                    )
                failed_before = True
            finally:
                self.in_sync = False
                client.close()
            stop.wait(1.0)

    def _follow(self, client: redis.Redis, stop: threading.Event, where: dict[str, Any]) -> None:
        with client.pubsub() as pubsub:
            pubsub.subscribe(where["channel"])
            if not self._subscribed(pubsub, stop):
                return
            self._load(client, where["pattern"])
            self.in_sync = True
            logger.info("revocation mirror in sync", extra={"marks": self._count()})
            next_prune = time.monotonic() + 30
            while not stop.is_set():
                message = pubsub.get_message(timeout=1.0)
                if message and message["type"] == "message":
                    kind, subject_id, at = message["data"].decode().split(" ")
                    self.apply(kind, subject_id, float(at))
                if time.monotonic() > next_prune:
                    self._prune()
                    next_prune = time.monotonic() + 30

    @staticmethod
    def _subscribed(pubsub, stop: threading.Event) -> bool:
        """Waits until Redis confirms the subscription: marks announced from then on
        reach this mirror, so the load that follows misses none."""
        while not stop.is_set():
            message = pubsub.get_message(timeout=1.0)
            if message and message["type"] == "subscribe":
                return True
        return False

    def _load(self, client: redis.Redis, pattern: str) -> None:
        keys = list(client.scan_iter(match=pattern, count=1000))
        for start in range(0, len(keys), 1000):
            batch = keys[start : start + 1000]
            for key, value in zip(batch, client.mget(batch), strict=True):
                kind, _, subject_id = key.decode().rpartition(":revoked:")[2].partition(":")
                if value is not None and kind in (SESSION, USER):
                    self.apply(kind, subject_id, float(value))

    def _prune(self) -> None:
        oldest = time.time() - mark_window_seconds()
        with self._lock:
            for marks in (self.sessions, self.cut_offs):
                for subject_id in [s for s, at in marks.items() if at <= oldest]:
                    del marks[subject_id]

    def _count(self) -> int:
        return len(self.sessions) + len(self.cut_offs)


_mirror = _Mirror()


# --- the consumer ----------------------------------------------------------------


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
