"""The Redis exporter of the running stack (docs/observability.md): it signs in as
its own ACL user, its numbers move with Redis' traffic, VictoriaMetrics scrapes it,
and its user may run what a scrape sends and nothing else: no key, no channel, no
administration."""

import json
import re
import time
import urllib.parse
from pathlib import Path

import pytest
import redis
import requests

from devstack import credentials
from devstack.layout import HOST, REDIS_PORT
from devstack.observability import REDIS_EXPORTER_PORT, VM_PORT

pytestmark = pytest.mark.integration

METRICS_URL = f"http://{HOST}:{REDIS_EXPORTER_PORT}/metrics"


def scrape() -> dict[str, float]:
    """The exporter's unlabelled samples, by name."""
    response = requests.get(METRICS_URL, timeout=20)
    assert response.status_code == 200
    return {
        name: float(value)
        for name, value in re.findall(r"^([a-zA-Z_:][\w:]*) (\S+)$", response.text, re.MULTILINE)
    }


def redis_as(user: str, password: str) -> redis.Redis:
    # RESP2: AUTH then the command, no HELLO, which neither user may send.
    return redis.Redis(
        host=HOST, port=REDIS_PORT, username=user, password=password, protocol=2, socket_timeout=5
    )


def exporter_user() -> redis.Redis:
    return redis_as(credentials.REDIS_EXPORTER_USER, credentials.redis_exporter_password())


def probe_user() -> redis.Redis:
    """The stack's health probe, which may only PING."""
    password = credentials.provisioning()["REDIS_PROBE_PASSWORD"]
    return redis_as(credentials.REDIS_PROBE_USER, password)


def test_the_exporter_signs_in_and_its_numbers_move():
    before = scrape()
    assert before["redis_up"] == 1
    # CONFIG GET and SLOWLOG answered its scrape: their series exist only then.
    assert before["redis_config_maxclients"] > 0
    assert "redis_slowlog_length" in before
    held = [probe_user() for _ in range(3)]
    pings = held[0].pipeline(transaction=False)
    for _ in range(200):
        pings.ping()
    assert all(pings.execute())
    for client in held:
        client.ping()  # connected, and kept open across the next scrape
    after = scrape()
    for client in held:
        client.close()
    assert after["redis_up"] == 1
    # Other clients only add to the count: at least our pings went by.
    assert after["redis_commands_processed_total"] - before["redis_commands_processed_total"] >= 200
    assert after["redis_connected_clients"] >= len(held) + 1  # ours, and the exporter's own


@pytest.mark.parametrize(
    "command",
    [
        ("INFO", "ALL"),
        ("CONFIG", "GET", "*"),
        ("LATENCY", "LATEST"),
        ("SLOWLOG", "LEN"),
        ("SLOWLOG", "GET", "1"),
        ("CLIENT", "SETNAME", "redis_exporter"),
    ],
    ids=lambda command: " ".join(command[:2]),
)
def test_the_exporter_user_may_run_what_a_scrape_sends(command):
    assert exporter_user().execute_command(*command) is not None


@pytest.mark.parametrize(
    "command",
    [
        ("GET", "listings:1:anything"),
        ("GET", "no-prefix"),
        ("SET", "exporter:anything", "x"),
        ("TYPE", "listings:1:anything"),
        ("KEYS", "*"),
        ("SCAN", "0"),
        ("PUBLISH", "notifications:/1.celery.pidbox", "shutdown"),
        ("SUBSCRIBE", "anything"),
        ("CONFIG", "SET", "maxmemory", "1"),
        ("CLIENT", "LIST"),
        ("CLIENT", "KILL", "ID", "1"),
        ("ACL", "LIST"),
        ("FLUSHDB",),
        ("SELECT", "1"),
        ("SLOWLOG", "RESET"),
    ],
    ids=lambda command: " ".join(command[:2]),
)
def test_the_exporter_user_may_do_nothing_else(command):
    # redis-py raises NoPermissionError for a NOPERM reply, the code stripped.
    with pytest.raises(redis.exceptions.NoPermissionError, match="no permissions to run"):
        exporter_user().execute_command(*command)


def test_victoria_metrics_scrapes_the_exporter():
    query = urllib.parse.urlencode({"query": 'redis_up{job="redis"}'})
    url = f"http://{HOST}:{VM_PORT}/api/v1/query?{query}"
    deadline = time.monotonic() + 30  # a scrape every 10 s
    while True:
        result = json.loads(requests.get(url, timeout=10).text)["data"]["result"]
        if result or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert [series["value"][1] for series in result] == ["1"]


LOOPBACK_V4 = "0100007F"  # 127.0.0.1, as /proc/net/tcp writes it


def test_the_exporter_listens_on_loopback_only():
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port = local.split(":")
            if state == "0A" and int(port, 16) == REDIS_EXPORTER_PORT:  # 0A: LISTEN
                listening.add(address)
    assert listening == {LOOPBACK_V4}
