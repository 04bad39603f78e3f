"""Gunicorns of one deployable that a bench starts beside the local stack, one per mode."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(
    service: str, port: int, settings: Mapping[str, str], *, dropped: tuple[str, ...] = ()
) -> subprocess.Popen:
    """`service` with one worker and one thread, so it answers one request at a time:
    this process's environment, less DJANGO_SETTINGS_MODULE (HEARTH_SERVICE picks the
    settings) and the variables starting with any of `dropped`, plus `settings`."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if name != "DJANGO_SETTINGS_MODULE" and not (dropped and name.startswith(dropped))
    }
    environment = {
        **inherited,
        "HEARTH_SERVICE": service,
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "1",
        **settings,
    }
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "config.wsgi"),
            *("-c", "config/gunicorn_conf.py", "--bind", f"127.0.0.1:{port}"),
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _wait_ready(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):  # still starting
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not become ready")


@contextmanager
def gunicorns(
    service: str, settings: Mapping[str, Mapping[str, str]], *, dropped: tuple[str, ...] = ()
) -> Iterator[dict[str, str]]:
    """A gunicorn of `service` per mode, with that mode's `settings` (see _start); yields
    each mode's base URL once all are ready, and stops them all on leaving."""
    ports = {mode: _free_port() for mode in settings}
    servers = [
        _start(service, port, settings[mode], dropped=dropped) for mode, port in ports.items()
    ]
    try:
        urls = {mode: f"http://127.0.0.1:{port}" for mode, port in ports.items()}
        for url in urls.values():
            _wait_ready(url)
        yield urls
    finally:
        # Each server's whole process group: the arbiter and its worker.
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
        for server in servers:
            server.wait(30)
