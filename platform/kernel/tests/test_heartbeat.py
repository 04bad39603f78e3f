"""The liveness probe of the relay and consumer pods (kernel.health.heartbeat), run as
the chart runs it: a process that reads the loops' files."""

import os
import subprocess
import sys
import time

from kernel.health.heartbeat import HEARTBEAT_DIR_ENV, Heartbeat


def probe(directory, max_age: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kernel.health.heartbeat", str(directory), str(max_age)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_without_a_directory_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.delenv(HEARTBEAT_DIR_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    Heartbeat("relay").beat()
    assert list(tmp_path.iterdir()) == []


def test_a_loop_that_beats_passes_the_probe(tmp_path, monkeypatch):
    monkeypatch.setenv(HEARTBEAT_DIR_ENV, str(tmp_path / "beats"))
    Heartbeat("hearth.listings").beat()
    Heartbeat("hearth.listings.revocation").beat()
    assert probe(tmp_path / "beats").returncode == 0


def test_before_the_first_beat_the_probe_fails(tmp_path):
    result = probe(tmp_path / "beats")
    assert result.returncode == 1
    assert "no heartbeat" in result.stderr


def test_one_hung_loop_fails_the_probe_and_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv(HEARTBEAT_DIR_ENV, str(tmp_path))
    Heartbeat("hearth.listings").beat()
    Heartbeat("hearth.listings.revocation").beat()
    long_ago = time.time() - 120
    os.utime(tmp_path / "hearth.listings.revocation", (long_ago, long_ago))
    result = probe(tmp_path, max_age=60)
    assert result.returncode == 1
    assert "hearth.listings.revocation" in result.stderr
    assert "hearth.listings," not in result.stderr


def test_a_busy_loop_touches_its_file_at_most_once_a_second(tmp_path, monkeypatch):
    monkeypatch.setenv(HEARTBEAT_DIR_ENV, str(tmp_path))
    heartbeat = Heartbeat("relay")
    heartbeat.beat()
    long_ago = time.time() - 120
    os.utime(tmp_path / "relay", (long_ago, long_ago))
    heartbeat.beat()  # within the second: not touched again
    assert (tmp_path / "relay").stat().st_mtime == long_ago
