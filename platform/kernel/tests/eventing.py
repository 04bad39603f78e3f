"""Helpers of the event backbone tests: write events, run the relay, read topics."""

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from kernel.events.kafka import read_to_end
from kernel.events.outbox import publish_event
from kernel.events.relay import OutboxRelay
from kernel.testing.probe import PROBE_RECORDED


def write_events(count: int, *, aggregates: int, note: str = "", pause: float = 0.0) -> list:
    """One transaction per event, as a request would; sequence numbers rise per aggregate."""
    envelopes = []
    for sequence in range(count):
        with transaction.atomic():
            envelopes.append(
                publish_event(
                    PROBE_RECORDED,
                    aggregate_id=f"probe-{sequence % aggregates}",
                    payload={"sequence": sequence, "note": note},
                )
            )
        if pause:
            time.sleep(pause)
    return envelopes


class RelayThread:
    def __init__(self, **options) -> None:
        self.relay = OutboxRelay(**options)
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.relay.run()
        finally:
            connection.close()

    def __enter__(self) -> OutboxRelay:
        self.thread.start()
        return self.relay

    def __exit__(self, *exc) -> None:
        self.relay.stop.set()
        self.thread.join(60)


def spawn_manage(*arguments: str) -> subprocess.Popen:
    """A manage.py command of the kernel tests' deployable, on the test database."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.kernel_tests",
        "DATABASE_NAME": settings.DATABASES["default"]["NAME"],
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", *arguments],
        cwd=settings.BASE_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@dataclass(frozen=True)
class Delivered:
    partition: int
    offset: int
    value: bytes
    headers: dict[str, str]

    @property
    def body(self) -> dict:
        return json.loads(self.value)

    @property
    def event_id(self) -> str:
        return self.body["event_id"]


def read_topic(topic: str) -> list[Delivered]:
    """Everything in the topic, from the first offset, in partition order."""
    return [
        Delivered(
            partition=message.partition(),
            offset=message.offset(),
            value=message.value(),
            headers={k: v.decode() for k, v in message.headers() or []},
        )
        for message in read_to_end(topic)
    ]


def assert_exactly_once_in_order(delivered: list[Delivered], envelopes: list) -> None:
    """Each written event is in the topic exactly once, and each aggregate's events
    are in the order they were committed (the order of `envelopes`)."""
    ours = {str(envelope.event_id) for envelope in envelopes}
    mine = [d for d in delivered if d.headers.get("event_type") and d.event_id in ours]
    counts = Counter(d.event_id for d in mine)
    duplicates = {event_id: n for event_id, n in counts.items() if n > 1}
    assert not duplicates, f"{len(duplicates)} events published more than once"
    assert set(counts) == ours, f"{len(ours - set(counts))} committed events missing from Kafka"

    committed, published = defaultdict(list), defaultdict(list)
    for envelope in envelopes:
        committed[envelope.aggregate_id].append(str(envelope.event_id))
    for d in sorted(mine, key=lambda d: (d.partition, d.offset)):
        published[d.body["aggregate_id"]].append(d.event_id)
    for aggregate, expected in committed.items():
        assert published[aggregate] == expected, f"{aggregate}'s events are out of order in Kafka"
