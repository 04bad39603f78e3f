"""The image's other processes, chosen by its arguments (config/launch.py), each run
for real on a read-only root filesystem: Celery's worker and beat against a Redis of
the test's own, the relay and /readyz against the running local stack."""

import json
import shutil
import subprocess
import time
import urllib.request

import pytest

from config.environment import local_env_file, parse_env_file
from containers.tests.conftest import PRODUCTION_ENV, env_flags, podman, wait_for_status

REDIS_PORT = 18190
READY_PORT = 18150
LOCAL_STACK_PROBE = "http://127.0.0.1:8101/readyz"  # accounts, in the local stack


def run_until(container: str, image: str, arguments: list[str], flags: list[str]) -> None:
    podman("rm", "--force", "--ignore", container)
    podman(
        *("run", "--detach", "--name", container, "--read-only", "--tmpfs", "/tmp"),
        *("--network", "host", *flags),
        image,
        *arguments,
    )


def wait_for_log(container: str, text: str, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        logs = podman("logs", container)
        output = logs.stdout + logs.stderr
        if text in output:
            return output
        if podman("inspect", "--format", "{{.State.Running}}", container).stdout.strip() != "true":
            pytest.fail(f"{container} exited before logging {text!r}:\n{output[-3000:]}")
        time.sleep(0.5)
    pytest.fail(f"{container} never logged {text!r}:\n{output[-3000:]}")


def stop_with_sigterm(container: str, within: float) -> None:
    started = time.monotonic()
    podman("kill", "--signal", "TERM", container)
    exit_code = podman("wait", container, timeout=60).stdout.strip()
    elapsed = time.monotonic() - started
    logs = podman("logs", container)
    podman("rm", "--force", "--ignore", container)
    assert exit_code == "0", (logs.stdout + logs.stderr)[-3000:]
    assert elapsed < within, f"took {elapsed:.1f} s"


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A Redis server of this test's own, on loopback, for Celery's broker."""
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    directory = tmp_path_factory.mktemp("redis")
    options = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(
        [server, "--port", str(REDIS_PORT), *options, "--dir", str(directory)],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while (
            subprocess.run(
                ["redis-cli", "-p", str(REDIS_PORT), "ping"], capture_output=True, check=False
            ).stdout.strip()
            != b"PONG"
        ):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.2)
        yield f"redis://127.0.0.1:{REDIS_PORT}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def celery_env(redis_url: str) -> list[str]:
    return env_flags(
        {
            **PRODUCTION_ENV,
            "CELERY_BROKER_URL": f"{redis_url}/0",
            "CELERY_RESULT_BACKEND": f"{redis_url}/1",
        }
    )


def test_worker_serves_its_queue_and_stops_warm_on_sigterm(app_images, redis_url):
    container = "hearth-image-test-worker"
    run_until(container, app_images["notifications"], ["worker"], celery_env(redis_url))
    output = wait_for_log(container, "ready.", 60)
    assert "notifications@" in output  # its node name, on its own queue
    assert "-> notifications" in output or ". notifications" in output, output[-2000:]
    stop_with_sigterm(container, within=15)


def test_beat_keeps_its_schedule_in_tmp_and_stops_on_sigterm(app_images, redis_url):
    container = "hearth-image-test-beat"
    run_until(container, app_images["notifications"], ["beat"], celery_env(redis_url))
    wait_for_log(container, "beat: Starting", 60)
    time.sleep(1)  # past opening its schedule file, the one write it makes
    listing = podman("exec", container, "ls", "/tmp").stdout.split()
    # shelve's file: its name, plus the suffix of the dbm backend it picked.
    assert any(name.startswith("celerybeat-notifications") for name in listing), listing
    stop_with_sigterm(container, within=15)


def test_refuses_a_process_its_deployable_does_not_run(app_images):
    refused = podman("run", "--rm", app_images["payments"], "worker", check=False)
    assert refused.returncode != 0
    assert "runs no Celery worker" in refused.stderr


@pytest.fixture(scope="module")
def local_stack_env() -> dict[str, str]:
    """accounts' own values of the local stack, given as environment variables only
    (the image never sees var/secrets), with the local stack's Kafka protocol."""
    try:
        with urllib.request.urlopen(LOCAL_STACK_PROBE, timeout=3) as response:
            assert response.status == 200
    except OSError:
        pytest.skip("the local stack is not running (make up)")
    values = parse_env_file(local_env_file("accounts"))
    return {
        **values,
        "HEARTH_JWT_KEY_DIR": PRODUCTION_ENV["HEARTH_JWT_KEY_DIR"],
        "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
    }


def test_readyz_against_the_local_stack(app_images, local_stack_env):
    container = "hearth-image-test-ready"
    flags = env_flags({**local_stack_env, "HEARTH_WEB_PORT": str(READY_PORT)})
    run_until(container, app_images["accounts"], ["web"], flags)
    try:
        status, body = wait_for_status(f"http://127.0.0.1:{READY_PORT}/readyz", 60, container)
        assert status == 200, body
        checks = json.loads(body)["checks"]
        assert set(checks) >= {"database", "redis", "kafka"}, checks
    finally:
        stop_with_sigterm(container, within=10)


def test_relay_runs_against_the_local_stack_and_stops_on_sigterm(app_images, local_stack_env):
    # The local stack's own relay holds the advisory lock: this one waits its turn,
    # which is the second replica's part in the chart.
    container = "hearth-image-test-relay"
    run_until(container, app_images["accounts"], ["relay"], env_flags(local_stack_env))
    time.sleep(5)
    running = podman("inspect", "--format", "{{.State.Running}}", container).stdout.strip()
    assert running == "true", podman("logs", container).stderr[-3000:]
    stop_with_sigterm(container, within=15)


def test_holds_only_what_a_deployable_runs(app_images):
    # No var/ (the local stack's secrets, logs, databases), no tests, no tooling:
    # .containerignore and the Containerfile's COPY lines keep them out.
    listing = podman(
        "run", "--rm", "--entrypoint", "ls", app_images["accounts"], "-A", "/app"
    ).stdout.split()
    assert sorted(set(listing) - {"__pycache__"}) == ["apps", "config", "manage.py", "platform"]
