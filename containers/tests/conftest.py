"""The deployables' images, built (warm: from podman's layer cache) before the tests
run, and what every test needs to run them."""

import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from config.services import SERVICES
from devstack import images

ROOT = Path(__file__).resolve().parents[2]
# Placeholders: what a deployable needs set to start in production. None is used by
# /healthz, which touches no store.
PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "image-test-only",
    "DATABASE_PASSWORD": "unused",
    "REDIS_URL": "redis://127.0.0.1:1/0",
    "KAFKA_PASSWORD": "unused",
    "CELERY_BROKER_URL": "redis://127.0.0.1:1/1",
    "CELERY_RESULT_BACKEND": "redis://127.0.0.1:1/2",
    "HEARTH_JWT_KEY_DIR": "/run/secrets/hearth-jwt",
    # Payments' own secrets, which it refuses to start without (config/settings/payments.py).
    "STRIPE_API_KEY": "unused",
    "STRIPE_WEBHOOK_SECRET": "unused",
}


def podman(*arguments: str, check: bool = True, timeout: float = 120):
    completed = subprocess.run(
        ["podman", *arguments], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and completed.returncode != 0:
        pytest.fail(f"podman {' '.join(arguments)} failed:\n{completed.stdout}{completed.stderr}")
    return completed


def env_flags(values: dict[str, str]) -> list[str]:
    return [flag for key, value in values.items() for flag in ("--env", f"{key}={value}")]


def wait_for_status(url: str, seconds: float, container: str) -> tuple[int, bytes]:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except OSError:
            if time.monotonic() > deadline:
                logs = podman("logs", container, check=False)
                pytest.fail(f"{url} never answered:\n{logs.stdout}{logs.stderr}")
            time.sleep(0.3)


def built(named: dict[str, str]) -> dict[str, str]:
    """Those images (folder name -> image), built by `make images`'s builder: a no-op when
    `make images` has built them already, as `make test` does first."""
    completed = subprocess.run(
        [sys.executable, str(ROOT / "devstack" / "images.py"), *named],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    return named


@pytest.fixture(scope="session")
def app_images() -> dict[str, str]:
    """Every deployable's image for the current tree, built by `make images`'s builder."""
    tag = images.app_tag()  # once: another commit meanwhile must not change it
    log = ROOT / "var" / "images" / "logs" / "tests-build.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as output:
        completed = subprocess.run(
            [sys.executable, str(ROOT / "devstack" / "images.py"), "--apps-only", "--tag", tag],
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
        )
    assert completed.returncode == 0, log.read_text()[-4000:]
    return {name: images.app_image(name, tag) for name in SERVICES}
