"""Event backbone benchmark: relay throughput and commit-to-consume latency.

    .venv/bin/python bench/event_pipeline.py [--idle-rate 10] [--busy-rate 200]
        [--seconds 15] [--backlog 20000]

Needs the local stack's PostgreSQL and Kafka (`make infra`). Runs as the kernel
tests' deployable on the test database, so it touches no development data:

1. Latency: a writer commits one event per transaction at a fixed rate while a
   real relay process (manage.py relay_outbox) publishes and a Kafka consumer
   reads; latency is consumer receipt minus the writer's commit, per event.
   Run at an idle rate and a busy one; reports p50/p99/max and their ratio.
2. Throughput: with the relay stopped, a backlog of events is committed; then a
   relay is started and timed until the outbox is empty (events/s).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.kernel_tests"
os.environ.setdefault("DATABASE_NAME", "hearth_test")

import django

django.setup()

from confluent_kafka import OFFSET_END, Consumer, TopicPartition
from django.core.management import call_command
from django.db import transaction

from bench._stats import percentile
from config.provision import provision_all
from kernel.events.kafka import consumer_config
from kernel.events.outbox import publish_event, wait_until_published
from kernel.events.registry import owned_topics
from kernel.events.topics import TopicPolicy, ensure_topics
from kernel.testing.probe import EVENTS, PROBE_RECORDED


def start_relay() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "relay_outbox"],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(30)


class Receiver(threading.Thread):
    """Reads the topic from its current end and notes when each event arrives."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.arrivals: dict[str, float] = {}
        self.stopping = threading.Event()
        self.ready = threading.Event()

    def run(self) -> None:
        consumer = Consumer(consumer_config("hearth.kernel_tests.bench", {"fetch.wait.max.ms": 5}))
        topic = EVENTS.topic
        partitions = consumer.list_topics(topic, timeout=15).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, OFFSET_END) for p in partitions])
        while not self.stopping.is_set():
            message = consumer.poll(0.05)
            if not self.ready.is_set():
                self.ready.set()
            if message is None or message.error():
                continue
            self.arrivals[json.loads(message.value())["event_id"]] = time.time()
        consumer.close()


def write_at_rate(rate: float, seconds: float) -> dict[str, float]:
    """One event per transaction, paced to `rate`; returns commit time per event."""
    commits: dict[str, float] = {}
    interval, started, sequence = 1.0 / rate, time.monotonic(), 0
    while time.monotonic() - started < seconds:
        with transaction.atomic():
            envelope = publish_event(
                PROBE_RECORDED,
                aggregate_id=f"bench-{sequence % 50}",
                payload={"sequence": sequence, "note": "bench"},
            )
        commits[str(envelope.event_id)] = time.time()
        sequence += 1
        next_at = started + sequence * interval
        time.sleep(max(0.0, next_at - time.monotonic()))
    return commits


def measure_latency(rate: float, seconds: float) -> dict[str, float]:
    receiver = Receiver()
    receiver.start()
    receiver.ready.wait(30)
    time.sleep(1)  # let the assignment settle at the end offsets
    commits = write_at_rate(rate, seconds)
    achieved = len(commits) / seconds
    wait_until_published(timeout=300)
    deadline = time.monotonic() + 30
    while len(set(commits) & set(receiver.arrivals)) < len(commits) and time.monotonic() < deadline:
        time.sleep(0.05)
    receiver.stopping.set()
    receiver.join(10)
    latencies = [
        (receiver.arrivals[event_id] - committed) * 1000
        for event_id, committed in commits.items()
        if event_id in receiver.arrivals
    ]
    return {
        "target_rate": rate,
        "achieved_rate": achieved,
        "events": len(commits),
        "received": len(latencies),
        "p50_ms": statistics.median(latencies),
        "p99_ms": percentile(latencies, 99),
        "max_ms": max(latencies),
    }


def measure_throughput(backlog: int) -> dict[str, float]:
    for start in range(0, backlog, 500):
        with transaction.atomic():
            for sequence in range(start, min(start + 500, backlog)):
                publish_event(
                    PROBE_RECORDED,
                    aggregate_id=f"bench-{sequence % 50}",
                    payload={"sequence": sequence, "note": "backlog"},
                )
    started = time.monotonic()
    relay = start_relay()
    try:
        wait_until_published(timeout=300)
    finally:
        elapsed = time.monotonic() - started
        stop(relay)
    return {"events": backlog, "seconds": elapsed, "events_per_second": backlog / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--idle-rate", type=float, default=10)
    parser.add_argument("--busy-rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--backlog", type=int, default=20000)
    args = parser.parse_args()

    provision_all(database=os.environ["DATABASE_NAME"], with_test_schemas=True)
    call_command("migrate", interactive=False, verbosity=0)
    ensure_topics(owned_topics(), TopicPolicy.from_settings())
    relay = start_relay()
    try:
        wait_until_published(timeout=300)  # leftovers from earlier runs
        results = {
            "idle": measure_latency(args.idle_rate, args.seconds),
            "busy": measure_latency(args.busy_rate, args.seconds),
        }
    finally:
        stop(relay)
    throughput = measure_throughput(args.backlog)

    print("commit-to-consume latency (writer commit -> consumer receipt, same host)")
    header = ("load", "target/s", "achieved/s", "events", "p50 ms", "p99 ms", "max ms")
    print(" ".join(f"{column:>10}" for column in header))
    for name, r in results.items():
        print(
            f"{name:>10} {r['target_rate']:>10.0f} {r['achieved_rate']:>10.1f} {r['events']:>10} "
            f"{r['p50_ms']:>10.1f} {r['p99_ms']:>10.1f} {r['max_ms']:>10.1f}"
        )
    print(f"busy/idle p99 ratio: {results['busy']['p99_ms'] / results['idle']['p99_ms']:.2f}")
    print(
        f"relay throughput: {throughput['events']} backlogged events in "
        f"{throughput['seconds']:.1f} s = {throughput['events_per_second']:.0f} events/s"
    )


if __name__ == "__main__":
    main()
