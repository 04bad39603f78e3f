"""The event backbone end to end, against the real PostgreSQL and Kafka:
outbox -> relay -> Kafka -> consumer with inbox, dead letters and replay."""

import signal
import subprocess
import sys
import time

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, ConfigResource
from django.conf import settings
from django.db import connection, transaction

from kernel.errors import Conflict
from kernel.events.consumer import ConsumerSpec, EventConsumer
from kernel.events.kafka import admin_config, producer_config
from kernel.events.outbox import outbox_backlog, publish_event, wait_until_published
from kernel.events.relay import RELAY_APPLICATION_NAME
from kernel.events.replay import replay
from kernel.events.topics import TopicPolicy, ensure_topics
from kernel.models import InboxEvent, OutboxEvent
from kernel.testing.probe import EFFECTS_TABLE, EVENTS, PROBE_RECORDED, RECORDER, record_effect
from kernel.tests.conftest import events_transactions
from kernel.tests.eventing import (
    RelayThread,
    assert_exactly_once_in_order,
    read_topic,
    spawn_manage,
    write_events,
)

pytestmark = [
    pytest.mark.integration,
    events_transactions,
    pytest.mark.usefixtures("events_db"),
]

TOPIC = EVENTS.topic


def effects() -> list[tuple[str, int]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT event_id::text, sequence FROM {EFFECTS_TABLE}")
        return cursor.fetchall()


def consume(spec: ConsumerSpec):
    """Run a consumer until the topic is drained; its dead-letter topic is created
    first, as `ensure_topics` does for a deployable's own consumers."""
    ensure_topics([spec.dead_letter_topic], TopicPolicy.from_settings())
    return EventConsumer(spec).run(until_drained=True)


def test_a_rolled_back_transaction_publishes_nothing():
    class Abort(Exception):
        pass

    def write_then_fail():
        with transaction.atomic():
            publish_event(PROBE_RECORDED, aggregate_id="rb", payload={"sequence": 0, "note": "no"})
            raise Abort

    with pytest.raises(Abort):
        write_then_fail()
    committed = write_events(1, aggregates=1, note="yes")

    with RelayThread():
        wait_until_published(timeout=90)
    delivered = read_topic(TOPIC)
    assert str(committed[0].event_id) in {d.event_id for d in delivered}  # the relay did run
    assert not OutboxEvent.objects.filter(key="rb").exists()
    assert not [d for d in delivered if d.body["aggregate_id"] == "rb"]


def test_a_committed_event_delivered_twice_has_exactly_one_effect():
    [envelope] = write_events(1, aggregates=1)
    with RelayThread():
        wait_until_published(timeout=90)
    # Deliver it a second time, as Kafka may after a consumer crash or a relay retry.
    producer = Producer(producer_config())
    producer.produce(TOPIC, key=envelope.aggregate_id.encode(), value=envelope.to_json())
    assert producer.flush(10) == 0

    group = f"hearth.kernel_tests.once-{envelope.event_id.hex[:8]}"
    stats = consume(ConsumerSpec(group_id=group, topics=(TOPIC,), handlers=RECORDER.handlers))

    mine = [row for row in effects() if row[0] == str(envelope.event_id)]
    assert len(mine) == 1
    assert stats.duplicates >= 1
    assert InboxEvent.objects.filter(consumer_group=group, event_id=envelope.event_id).count() == 1


def test_relay_killed_mid_batch_loses_and_duplicates_nothing():
    relay = spawn_manage("relay_outbox", "--batch-size", "50")
    written: list = []
    try:
        deadline = time.monotonic() + 60
        # Write while the relay works, and kill it (SIGKILL: no cleanup at all)
        # three times, each time in the middle of its work.
        for round_number in range(3):
            written += write_events(300, aggregates=7, note=f"round {round_number}")
            assert time.monotonic() < deadline
            relay.send_signal(signal.SIGKILL)
            relay.wait(10)
            relay = spawn_manage("relay_outbox", "--batch-size", "50")
        wait_until_published(timeout=120)
    finally:
        relay.terminate()
        output, _ = relay.communicate(timeout=30)
    assert relay.returncode == 0, output
    assert_exactly_once_in_order(read_topic(TOPIC), written)


def _leading_relay_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
            "WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database() "
            "AND a.application_name LIKE %s",
            [f"{RELAY_APPLICATION_NAME}%"],
        )
        [(name,)] = cursor.fetchall()
    return int(name.rsplit("pid=", 1)[1])


def test_two_relay_replicas_publish_once_and_the_standby_takes_over():
    relays = [spawn_manage("relay_outbox", "--batch-size", "50") for _ in range(2)]
    try:
        written = write_events(300, aggregates=7, note="two replicas")
        wait_until_published(timeout=90)
        # Kill the replica that leads; the standby must take over the lease.
        leader = next(r for r in relays if r.pid == _leading_relay_pid())
        leader.send_signal(signal.SIGKILL)
        leader.wait(10)
        written += write_events(300, aggregates=7, note="after failover")
        wait_until_published(timeout=90)
    finally:
        for relay in relays:
            if relay.poll() is None:
                relay.terminate()
            relay.communicate(timeout=90)
    assert_exactly_once_in_order(read_topic(TOPIC), written)


def _supervisorctl(*arguments: str) -> None:
    subprocess.run(
        [
            str(settings.BASE_DIR / ".venv" / "bin" / "supervisorctl"),
            "-c",
            str(settings.BASE_DIR / "var" / "supervisord.conf"),
            *arguments,
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


def _wait_for_kafka(timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if AdminClient(admin_config()).list_topics(timeout=2).brokers:
                return
        except Exception:
            pass
        assert time.monotonic() < deadline, "Kafka did not come back"
        time.sleep(0.5)


def test_broker_stop_and_restart_loses_and_duplicates_nothing():
    written = write_events(100, aggregates=5, note="before")
    with RelayThread():
        wait_until_published(timeout=90)
        _supervisorctl("stop", "infra:kafka")
        try:
            written += write_events(200, aggregates=5, note="while down")
            assert outbox_backlog() > 0  # accepted, and waiting in the outbox
        finally:
            _supervisorctl("start", "infra:kafka")
        _wait_for_kafka()
        written += write_events(100, aggregates=5, note="after")
        wait_until_published(timeout=120)
    assert_exactly_once_in_order(read_topic(TOPIC), written)


def test_a_poison_event_is_dead_lettered_and_the_consumer_keeps_going():
    [poison, good] = write_events(2, aggregates=2)
    with RelayThread():
        wait_until_published(timeout=90)
    producer = Producer(producer_config())
    producer.produce(TOPIC, key=b"garbage", value=b"{not json")
    assert producer.flush(10) == 0

    def fail_on_poison(envelope):
        if envelope.event_id == poison.event_id:
            raise ValueError("this event cannot be applied")
        record_effect(envelope)

    group = f"hearth.kernel_tests.poison-{poison.event_id.hex[:8]}"
    spec = ConsumerSpec(
        group_id=group,
        topics=(TOPIC,),
        handlers={PROBE_RECORDED.name: fail_on_poison},
        max_attempts=3,
        backoff_seconds=0.01,
    )
    stats = consume(spec)

    applied = {event_id for event_id, _ in effects()}
    assert str(good.event_id) in applied
    assert str(poison.event_id) not in applied
    assert stats.dead_lettered == 2
    dead = read_topic(spec.dead_letter_topic)
    errors = [d.headers["dlq-error"] for d in dead if d.headers["dlq-consumer-group"] == group]
    assert len(errors) == 2
    assert any("this event cannot be applied" in error for error in errors)
    assert any("JSONDecodeError" in error for error in errors)
    poisoned = next(d for d in dead if d.headers.get("hearth-event-id") == str(poison.event_id))
    assert poisoned.headers["dlq-original-topic"] == TOPIC


def test_an_event_the_domain_refuses_is_dead_lettered_at_once_not_retried():
    [refused] = write_events(1, aggregates=1, note="refused")
    with RelayThread():
        wait_until_published(timeout=90)
    attempts = []

    def refuse(envelope):
        if envelope.event_id == refused.event_id:
            attempts.append(envelope.event_id)
            raise Conflict("A let listing cannot be let again.")

    group = f"hearth.kernel_tests.refused-{refused.event_id.hex[:8]}"
    spec = ConsumerSpec(
        group_id=group,
        topics=(TOPIC,),
        handlers={PROBE_RECORDED.name: refuse},
        max_attempts=5,
        backoff_seconds=0.01,
    )
    consume(spec)

    assert attempts == [refused.event_id]  # a rule that said no says no again: no retry
    dead = [
        d
        for d in read_topic(spec.dead_letter_topic)
        if d.headers.get("hearth-event-id") == str(refused.event_id)
    ]
    assert len(dead) == 1
    assert "A let listing cannot be let again." in dead[0].headers["dlq-error"]
    assert not InboxEvent.objects.filter(consumer_group=group, event_id=refused.event_id).exists()


def test_a_new_consumer_group_reads_all_1000_prior_events_from_the_beginning():
    written = write_events(1000, aggregates=10, note="history")
    with RelayThread():
        wait_until_published(timeout=90)
    group = f"hearth.kernel_tests.newcomer-{written[0].event_id.hex[:8]}"
    consume(ConsumerSpec(group_id=group, topics=(TOPIC,), handlers=RECORDER.handlers))
    applied = {event_id for event_id, _ in effects()}
    assert {str(e.event_id) for e in written} <= applied


def test_replay_rebuilds_the_read_model_from_events():
    # Published in two rounds, so the second starts at a later broker timestamp than
    # the first whatever ran before: the replay "since" below lands between them.
    written = []
    for _ in range(2):
        written += write_events(25, aggregates=5, note="replayed")
        with RelayThread():
            wait_until_published(timeout=90)
    group = f"hearth.kernel_tests.replay-{written[0].event_id.hex[:8]}"
    spec = ConsumerSpec(
        group_id=group,
        topics=(TOPIC,),
        handlers=RECORDER.handlers,
        reset_read_model=RECORDER.reset_read_model,
    )
    consume(spec)
    before = sorted(effects())
    assert {str(e.event_id) for e in written} <= {event_id for event_id, _ in before}

    replay(spec)
    assert effects() == []  # the read model was emptied...
    consume(spec)
    assert sorted(effects()) == before  # ...and rebuilt, each event once

    # From a point in time the inbox is kept: re-read events are no-ops.
    offsets = replay(spec, since=written[25].occurred_at)
    assert sum(offsets.values()) > 0  # not rewound to the very beginning
    stats = consume(spec)
    assert stats.duplicates >= 25
    assert stats.applied == 0
    assert sorted(effects()) == before


def test_the_relay_and_a_consumer_beat_while_they_loop(tmp_path, monkeypatch):
    """What their pods' liveness probe reads (kernel.health.heartbeat)."""
    monkeypatch.setenv("HEARTH_HEARTBEAT_DIR", str(tmp_path))
    relay = spawn_manage("relay_outbox")
    try:
        beat = tmp_path / "relay"
        deadline = time.monotonic() + 60
        while not beat.exists():
            assert time.monotonic() < deadline, "the relay never beat"
            assert relay.poll() is None, relay.stdout.read().decode()
            time.sleep(0.5)
        # Idle, the leader wakes at least every idle_wait_seconds (5 s) and beats.
        first = beat.stat().st_mtime
        deadline = time.monotonic() + 15
        while beat.stat().st_mtime == first:
            assert time.monotonic() < deadline, "the relay stopped beating while idle"
            time.sleep(0.5)
    finally:
        relay.terminate()
        relay.wait(30)
    group = "hearth.kernel_tests.heartbeat"
    consume(ConsumerSpec(group_id=group, topics=(TOPIC,), handlers=RECORDER.handlers))
    assert time.time() - (tmp_path / group).stat().st_mtime < 30
    probe = subprocess.run(
        [sys.executable, "-m", "kernel.health.heartbeat", str(tmp_path), "30"], check=False
    )
    assert probe.returncode == 0


def test_consumer_command_stops_cleanly_on_sigterm():
    consumer = spawn_manage("consume_events", RECORDER.group_id)
    time.sleep(8)  # joined the group and polling
    consumer.send_signal(signal.SIGTERM)
    output, _ = consumer.communicate(timeout=30)
    assert consumer.returncode == 0, output
    assert "consumer hearth.kernel_tests.recorder stopped" in output
    admin = AdminClient(admin_config())
    group = admin.describe_consumer_groups([RECORDER.group_id])[RECORDER.group_id].result(15)
    assert group.members == []


def test_ensure_topics_is_idempotent_and_keeps_history_forever():
    policy = TopicPolicy.from_settings()
    assert ensure_topics([TOPIC], policy)[TOPIC] == "configured"
    assert ensure_topics([TOPIC], policy)[TOPIC] == "configured"
    resource = ConfigResource(ConfigResource.Type.TOPIC, TOPIC)
    admin = AdminClient(admin_config())
    config = admin.describe_configs([resource])[resource].result(15)
    assert config["retention.ms"].value == "-1"
    assert config["cleanup.policy"].value == "delete"
    assert config["unclean.leader.election.enable"].value == "false"
    assert config["min.insync.replicas"].value == str(settings.KAFKA_MIN_INSYNC_REPLICAS)
