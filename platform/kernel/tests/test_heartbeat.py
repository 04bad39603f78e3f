"""The liveness answer of the relay and consumer processes: their metrics server's
/healthz, read from the files their loops touch (kernel.health.heartbeat), asked over
HTTP as the kubelet asks it."""

import os
import socket
import time
import urllib.error
import urllib.request

import pytest

from kernel.health.heartbeat import HEARTBEAT_DIR_ENV, Heartbeat
from kernel.observability.metrics import serve_process_metrics


@pytest.fixture
def health(monkeypatch):
    """Starts a metrics server on a free loopback port; asks it /healthz."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("HEARTH_METRICS_PORT", str(port))
    monkeypatch.setenv("HEARTH_METRICS_HOST", "127.0.0.1")
    assert serve_process_metrics("relay") == port

    def ask(query: str = "max_age=60") -> tuple[int, str]:
        url = f"http://127.0.0.1:{port}/healthz?{query}"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    ask.port = port
    return ask


def test_without_a_directory_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.delenv(HEARTBEAT_DIR_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    Heartbeat("relay").beat()
    assert list(tmp_path.iterdir()) == []


def test_a_loop_that_beats_is_healthy_and_metrics_are_still_served(tmp_path, monkeypatch, health):
    monkeypatch.setenv(HEARTBEAT_DIR_ENV, str(tmp_path / "beats"))
    Heartbeat("hearth.listings").beat()
    Heartbeat("hearth.listings.revocation").beat()
    assert health() == (200, "ok\n")
    metrics = f"http://127.0.0.1:{health.port}/metrics"
    with urllib.request.urlopen(metrics, timeout=5) as response:
        assert b"hearth_events_consumed_total" in response.read()


def test_before_the_first_beat_it_is_not_healthy(tmp_path, monkeypatch, health):
    monkeypatch.setenv(HEARTBEAT_DIR_ENV, str(tmp_path / "beats"))
    status, reason = health()
    assert status == 503
    assert "no heartbeat" in reason


def test_one_hung_loop_is_not_healthy_and_is_named(tmp_path, monkeypatch, health):
    monkeypatch.setenv(HEARTBEAT_DIR_ENV, str(tmp_path))
    Heartbeat("hearth.listings").beat()
    Heartbeat("hearth.listings.revocation").beat()
    long_ago = time.time() - 120
    os.utime(tmp_path / "hearth.listings.revocation", (long_ago, long_ago))
    status, reason = health("max_age=60")
    assert status == 503
    assert "hearth.listings.revocation" in reason
    assert "hearth.listings," not in reason
    assert health("max_age=300")[0] == 200


def test_a_max_age_that_is_not_a_number_is_a_400(tmp_path, monkeypatch, health):
    monkeypatch.setenv(HEARTBEAT_DIR_ENV, str(tmp_path))
    Heartbeat("relay").beat()
    assert health("max_age=soon")[0] == 400


def test_a_busy_loop_touches_its_file_at_most_once_a_second(tmp_path, monkeypatch):
    monkeypatch.setenv(HEARTBEAT_DIR_ENV, str(tmp_path))
    heartbeat = Heartbeat("relay")
    heartbeat.beat()
    long_ago = time.time() - 120
    os.utime(tmp_path / "relay", (long_ago, long_ago))
    heartbeat.beat()  # within the second: not touched again
    assert (tmp_path / "relay").stat().st_mtime == long_ago
