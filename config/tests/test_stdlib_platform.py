"""Hearth's kernel lives in a folder named platform/; the standard-library module
`platform` must still be the one every process imports: Django, gunicorn, Celery."""

import json
import os
import platform
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.integration

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def test_django_process_imports_the_stdlib_platform():
    assert Path(platform.__file__).parent == STDLIB
    assert platform.python_version() == ".".join(map(str, sys.version_info[:3]))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _spawn(*command: str, **environment: str) -> subprocess.Popen:
    return subprocess.Popen(
        command,
        cwd=settings.BASE_DIR,
        env={
            **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
            "HEARTH_SERVICE": "listings",
            **environment,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _stop(process: subprocess.Popen) -> str:
    process.terminate()
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def test_gunicorn_process_imports_the_stdlib_platform():
    port = _free_port()
    bin_dir = Path(sys.executable).parent
    server = _spawn(
        str(bin_dir / "gunicorn"),
        "config.wsgi:application",
        "-c",
        "config/gunicorn_conf.py",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/healthz", timeout=2
                ) as response:
                    body = json.load(response)
                break
            except urllib.error.URLError:
                assert server.poll() is None, _stop(server)
                assert time.monotonic() < deadline, "gunicorn did not answer in 30 s"
                time.sleep(0.3)
    finally:
        output = _stop(server)
    assert body["python"] == platform.python_version(), output


def test_celery_worker_imports_the_stdlib_platform():
    from config.celery import app

    queue = f"stdlib-probe-{uuid.uuid4().hex[:8]}"
    bin_dir = Path(sys.executable).parent
    worker = _spawn(
        str(bin_dir / "celery"),
        "-A",
        "config.celery",
        "worker",
        "--pool",
        "solo",
        "-Q",
        queue,
        "-n",
        f"{queue}@%h",
        "--without-heartbeat",
        "--without-mingle",
        "--without-gossip",
        # The suite's own deployable, like the sender: each deployable's Celery keys
        # are its own (under its name), where only its Redis user may go.
        DJANGO_SETTINGS_MODULE="config.settings.kernel_tests",
    )
    try:
        result = app.send_task("kernel.python_version", queue=queue)
        version = result.get(timeout=60)
    finally:
        output = _stop(worker)
    assert version == platform.python_version(), output
