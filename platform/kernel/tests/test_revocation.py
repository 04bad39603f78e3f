"""Ended sessions are refused everywhere within seconds: the marks in Redis, the
check in UserTokenAuthentication, the consumer that writes the marks (real Kafka
and Redis), and what happens when Redis is down."""

import logging
import threading
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient
from django.db import connection
from django.test import override_settings
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIRequestFactory
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError

from kernel.auth import revocation
from kernel.auth.authentication import UserTokenAuthentication
from kernel.auth.keys import keyring
from kernel.auth.tokens import ServiceToken, UserAccessToken, UserRefreshToken, token_backend
from kernel.events.consumer import EventConsumer, StoreUnavailable
from kernel.events.envelope import Envelope
from kernel.events.kafka import admin_config, producer_config
from kernel.events.topics import TopicPolicy, ensure_topics
from kernel.testing.auth import acting_as, use_key_dir
from kernel.tests.conftest import events_transactions

pytestmark = pytest.mark.integration

SESSION_ENDED = "kernel_tests.session_revoked"
SIGNED_OUT_EVERYWHERE = "kernel_tests.user_sessions_revoked"
PASSWORD_CHANGED = "kernel_tests.password_changed"
DEAD_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        "KEY_PREFIX": "kernel_tests",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }
}


@pytest.fixture(autouse=True)
def key_dir(tmp_path, settings):
    settings.HEARTH_JWT_KEY_DIR = str(tmp_path)
    use_key_dir(tmp_path, ["accounts", "listings", "kernel_tests"])
    yield tmp_path
    keyring.cache_clear()


@pytest.fixture(autouse=True)
def revocation_events(settings):
    settings.HEARTH_REVOCATION_CHECK = True
    settings.HEARTH_REVOCATION_MIRROR = False  # Redis itself; the mirror's tests turn it on
    settings.HEARTH_REVOCATION_EVENTS = {
        "topic": f"hearth.kernel_tests.revocation-{uuid.uuid4().hex[:8]}",
        "session_ended": [SESSION_ENDED],
        "user_cut_off": {SIGNED_OUT_EVERYWHERE: "revoked_before", PASSWORD_CHANGED: "changed_at"},
    }
    revocation._read_failures.paused_until = 0.0
    yield settings.HEARTH_REVOCATION_EVENTS
    revocation._read_failures.paused_until = 0.0
    revocation._mirror.stop()


def _session(user_id: str | None = None) -> tuple[UserAccessToken, str]:
    """An access token of a new session, as accounts issues it, and its raw form."""
    with acting_as("accounts"):
        refresh = UserRefreshToken()
        refresh.payload.update(
            {"sub": user_id or str(uuid.uuid4()), "sid": str(uuid.uuid4()), "role": "renter"}
        )
        raw = str(refresh.access_token)
    return UserAccessToken(raw), raw


def _authenticate(raw: str):
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    return UserTokenAuthentication().authenticate(request)


def _now() -> datetime:
    return datetime.now(UTC)


# --- the marks and the check ------------------------------------------------------


def test_tokens_carry_a_sub_second_issue_time():
    token, _ = _session()
    assert isinstance(token["iat"], float)
    assert abs(token["iat"] - time.time()) < 5


def test_a_revoked_session_is_refused_and_other_sessions_are_not():
    token, raw = _session()
    _, other_device_raw = _session(user_id=token["sub"])
    assert _authenticate(raw)[0].id == token["sub"]
    assert revocation.revoke_session(token["sid"], at=_now())
    with pytest.raises(AuthenticationFailed, match="session has ended"):
        _authenticate(raw)
    assert _authenticate(other_device_raw)[0].id == token["sub"]  # another device stays in


def test_a_cut_off_refuses_older_tokens_only():
    older, older_raw = _session()
    time.sleep(0.01)
    assert revocation.cut_off_user(older["sub"], before=_now())
    newer, newer_raw = _session(user_id=older["sub"])  # a sign-in right after, same second
    with pytest.raises(AuthenticationFailed):
        _authenticate(older_raw)
    assert _authenticate(newer_raw)[0].id == older["sub"]
    assert revocation.is_revoked(older.payload)
    assert not revocation.is_revoked(newer.payload)


def test_a_later_cut_off_wins_whatever_order_they_arrive_in():
    token, _ = _session()
    user_id = token["sub"]
    later = datetime.fromtimestamp(token["iat"], UTC) + timedelta(seconds=1)
    earlier = later - timedelta(seconds=2)
    assert revocation.cut_off_user(user_id, before=later)
    assert not revocation.cut_off_user(user_id, before=earlier)  # kept: the later one
    assert revocation.is_revoked(token.payload)


def test_marks_live_as_long_as_an_access_token_and_old_events_write_nothing(settings):
    client = revocation._redis()
    session_id, user_id = str(uuid.uuid4()), str(uuid.uuid4())
    window = revocation.mark_window_seconds()
    assert window == settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds() + 5

    revocation.revoke_session(session_id, at=_now() - timedelta(seconds=60))
    assert window - 62 < client.pttl(revocation.session_key(session_id)) / 1000 <= window - 60

    long_ago = _now() - timedelta(seconds=window + 1)
    assert not revocation.cut_off_user(user_id, before=long_ago)
    assert not revocation.revoke_session(str(uuid.uuid4()), at=long_ago)
    assert client.exists(revocation.user_key(user_id)) == 0


def test_the_check_can_be_switched_off(settings):
    token, raw = _session()
    revocation.revoke_session(token["sid"], at=_now())
    settings.HEARTH_REVOCATION_CHECK = False
    assert _authenticate(raw)[0].id == token["sub"]


def test_tokens_without_a_session_id_are_checked_against_the_cut_off_only():
    with acting_as("accounts"):
        refresh = UserRefreshToken()
        refresh["sub"] = str(uuid.uuid4())
        raw = str(refresh.access_token)
    token = UserAccessToken(raw)
    assert "sid" not in token
    assert _authenticate(raw)[0].id == token["sub"]
    revocation.cut_off_user(token["sub"], before=_now())
    with pytest.raises(AuthenticationFailed):
        _authenticate(raw)


# --- the mirror: no round trip per request ---------------------------------------


def _until(condition, seconds: float = 10.0) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, "not within the time allowed"
        time.sleep(0.01)
    return time.monotonic() - started


def test_the_mirror_loads_the_marks_then_follows_every_new_one(settings):
    settings.HEARTH_REVOCATION_MIRROR = True
    loaded, _ = _session()
    announced, _ = _session()
    cut_off, _ = _session()
    fresh, _ = _session()
    # Written by another process (a consumer) before this one's mirror started.
    revocation.publish_session_mark(loaded["sid"], at=time.time())

    assert revocation.is_revoked(loaded.payload)  # not in sync yet: asked Redis
    _until(lambda: revocation._mirror.in_sync)
    assert revocation._mirror.verdict(loaded.payload) is True

    revocation.publish_session_mark(announced["sid"], at=time.time())
    revocation.publish_cut_off(cut_off["sub"], before=time.time())
    delay = _until(
        lambda: (
            revocation._mirror.verdict(announced.payload)
            and revocation._mirror.verdict(cut_off.payload)
        )
    )
    assert delay < 1.0
    assert revocation._mirror.verdict(fresh.payload) is False

    # In sync, the check asks no one: with Redis unreachable it still refuses.
    with override_settings(CACHES=DEAD_REDIS):
        assert revocation.is_revoked(announced.payload)
        assert revocation.is_revoked(cut_off.payload)
        assert not revocation.is_revoked(fresh.payload)
        assert not revocation._read_failures.paused()  # Redis was never tried


def test_marks_written_here_are_known_here_at_once(settings):
    settings.HEARTH_REVOCATION_MIRROR = True
    token, _ = _session()
    revocation.is_revoked(token.payload)
    _until(lambda: revocation._mirror.in_sync)
    revocation.revoke_session(token["sid"], at=_now())
    assert revocation._mirror.verdict(token.payload) is True  # no wait for the echo


def test_a_mirror_out_of_sync_leaves_the_check_to_redis(settings, caplog):
    settings.HEARTH_REVOCATION_MIRROR = True
    token, _ = _session()
    with override_settings(CACHES=DEAD_REDIS), caplog.at_level(logging.WARNING):
        assert not revocation.is_revoked(token.payload)  # Redis unreadable: fails open
        time.sleep(1.5)
        assert not revocation._mirror.in_sync
    assert "revocation mirror out of sync" in caplog.text
    revocation._mirror.stop()
    revocation._read_failures.paused_until = 0.0
    revocation.publish_session_mark(token["sid"], at=time.time())
    assert revocation.is_revoked(token.payload)  # Redis answers while the mirror starts


# --- Redis down --------------------------------------------------------------------


def test_with_redis_down_the_check_fails_open_then_pauses(caplog):
    token, raw = _session()
    with override_settings(CACHES=DEAD_REDIS), caplog.at_level(logging.WARNING):
        started = time.monotonic()
        assert _authenticate(raw)[0].id == token["sub"]  # accepted: fails open
        first = time.monotonic() - started
        started = time.monotonic()
        for _ in range(20):
            assert _authenticate(raw)[0].id == token["sub"]
        paused = (time.monotonic() - started) / 20
    assert "revocation check skipped" in caplog.text
    assert caplog.text.count("revocation check skipped") == 1  # once per pause, not per request
    assert revocation._read_failures.paused()
    assert paused < first  # Redis is not tried again while paused


def test_with_redis_down_marks_are_never_written_silently():
    with override_settings(CACHES=DEAD_REDIS):
        with pytest.raises(StoreUnavailable):
            revocation.revoke_session(str(uuid.uuid4()), at=_now())
        with pytest.raises(StoreUnavailable):
            revocation.cut_off_user(str(uuid.uuid4()), before=_now())


# --- the consumer, through Kafka ---------------------------------------------------


def _envelope(event_type: str, payload: dict, *, aggregate_id: str, at: datetime) -> Envelope:
    return Envelope(
        event_id=uuid.uuid4(),
        event_type=event_type,
        schema_version=1,
        source="kernel_tests",
        aggregate_type="session" if event_type == SESSION_ENDED else "user",
        aggregate_id=aggregate_id,
        occurred_at=at,
        correlation_id=uuid.uuid4().hex,
        causation_id=None,
        payload=payload,
    )


def _produce(topic: str, envelopes: list[Envelope]) -> None:
    producer = Producer(producer_config())
    for envelope in envelopes:
        producer.produce(
            topic,
            key=envelope.aggregate_id,
            value=envelope.to_json(),
            headers=[("event_type", envelope.event_type)],
        )
    assert producer.flush(30) == 0


@pytest.fixture
def revocation_topic(revocation_events):
    topic = revocation_events["topic"]
    spec = revocation.revocation_consumer()
    ensure_topics([topic, spec.dead_letter_topic], TopicPolicy.from_settings())
    yield topic
    admin = AdminClient(admin_config())
    for future in admin.delete_topics([topic], operation_timeout=30).values():
        future.result(30)


@events_transactions
def test_the_consumer_marks_ended_sessions_and_cut_offs_in_redis(revocation_topic):
    (signed_out, _), (everywhere, _), (reset, _), (untouched, _) = (_session() for _ in range(4))
    time.sleep(0.01)
    now = _now()
    _produce(
        revocation_topic,
        [
            _envelope(
                SESSION_ENDED,
                {"session_id": signed_out["sid"], "user_id": signed_out["sub"]},
                aggregate_id=signed_out["sid"],
                at=now,
            ),
            _envelope(
                SIGNED_OUT_EVERYWHERE,
                {"user_id": everywhere["sub"], "revoked_before": now.isoformat()},
                aggregate_id=everywhere["sub"],
                at=now,
            ),
            _envelope(
                PASSWORD_CHANGED,
                {"user_id": reset["sub"], "changed_at": now.isoformat()},
                aggregate_id=reset["sub"],
                at=now,
            ),
            # Not a revocation: skipped.
            _envelope(
                "kernel_tests.user_registered",
                {"user_id": untouched["sub"]},
                aggregate_id=untouched["sub"],
                at=now,
            ),
        ],
    )
    spec = revocation.revocation_consumer()
    assert spec.group_id == "hearth.kernel_tests.revocation"
    stats = EventConsumer(spec).run(until_drained=True)
    assert (stats.applied, stats.skipped, stats.dead_lettered) == (3, 1, 0)

    client = revocation._redis()
    assert float(client.get(revocation.session_key(signed_out["sid"]))) == now.timestamp()
    assert float(client.get(revocation.user_key(everywhere["sub"]))) == now.timestamp()
    for ended in (signed_out, everywhere, reset):
        assert revocation.is_revoked(ended.payload)
    assert not revocation.is_revoked(untouched.payload)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM inbox WHERE consumer_group = %s", [spec.group_id])
        assert cursor.fetchone()[0] >= 3


@events_transactions
def test_with_redis_down_the_consumer_waits_and_loses_nothing(revocation_topic, caplog):
    token, _ = _session()
    _produce(
        revocation_topic,
        [
            _envelope(
                SESSION_ENDED,
                {"session_id": token["sid"], "user_id": token["sub"]},
                aggregate_id=token["sid"],
                at=_now(),
            )
        ],
    )
    spec = replace(revocation.revocation_consumer(), max_attempts=1, backoff_seconds=0.01)
    waiting = EventConsumer(spec)
    caplog.set_level(logging.WARNING, logger="kernel.events.consumer")
    with override_settings(CACHES=DEAD_REDIS):
        worker = threading.Thread(target=waiting.run)
        worker.start()
        deadline = time.monotonic() + 30
        while caplog.text.count("store unavailable, waiting") < 3:  # retried, past max_attempts
            assert time.monotonic() < deadline, "the consumer never reached the event"
            time.sleep(0.1)
        waiting.stop.set()
        worker.join(15)
    assert (waiting.stats.applied, waiting.stats.dead_lettered) == (0, 0)

    # Redis is back: the event was not committed, so it comes again and is applied.
    stats = EventConsumer(spec).run(until_drained=True)
    assert (stats.applied, stats.dead_lettered) == (1, 0)
    assert revocation.is_revoked(token.payload)


# --- service tokens ------------------------------------------------------------------


def test_a_correctly_signed_ten_year_service_token_is_refused():
    with acting_as("listings"):
        token = ServiceToken.for_callee("kernel_tests")
        token.set_exp(lifetime=timedelta(days=3650))
        forged = str(token)
    with pytest.raises(TokenError, match="longer than a service token may"):
        ServiceToken(forged)


def test_a_service_token_without_iat_is_refused():
    with acting_as("listings"):
        token = ServiceToken.for_callee("kernel_tests")
        del token["iat"]
        forged = str(token)
    with pytest.raises(TokenError, match="invalid"):
        ServiceToken(forged)
    with pytest.raises(TokenBackendError, match='missing the "iat" claim'):
        token_backend().decode(forged)


def test_a_five_minute_service_token_is_still_accepted():
    with acting_as("listings"):
        token = ServiceToken.for_callee("kernel_tests")
        token.set_exp(lifetime=timedelta(minutes=5))
        five_minutes = str(token)
        token.set_exp(lifetime=timedelta(minutes=5, seconds=6))  # past the 5 s leeway
        a_bit_more = str(token)
    assert ServiceToken(five_minutes).caller == "listings"
    with pytest.raises(TokenError):
        ServiceToken(a_bit_more)
