"""Each deployable's image, run for real with podman: it starts from environment
variables alone on a read-only root filesystem, answers /healthz, runs as uid 10001,
holds its own context and no other's code, and stops cleanly on SIGTERM."""

import json
import time
import urllib.error
import urllib.request

import pytest

from config.services import SERVICES
from containers.tests.conftest import PRODUCTION_ENV, env_flags, podman, wait_for_status

NAMES = list(SERVICES)
FIRST_PORT = 18100  # this suite's range: 18100-18199
APP_UID = "10001"


@pytest.fixture(scope="module", params=NAMES)
def running_web(request, app_images):
    """The deployable's web process, as the chart runs it: read-only root, /tmp a tmpfs."""
    name = request.param
    port = FIRST_PORT + NAMES.index(name)
    container = f"hearth-image-test-{name}"
    podman("rm", "--force", "--ignore", container)
    podman(
        *("run", "--detach", "--name", container, "--read-only", "--tmpfs", "/tmp"),
        *("--publish", f"127.0.0.1:{port}:8000", "--env", "DJANGO_ALLOWED_HOSTS=127.0.0.1"),
        *env_flags(PRODUCTION_ENV),
        app_images[name],
        "web",
    )
    yield {"name": name, "container": container, "url": f"http://127.0.0.1:{port}"}
    podman("rm", "--force", "--ignore", container)


def test_answers_healthz_from_the_environment_alone(running_web):
    status, body = wait_for_status(f"{running_web['url']}/healthz", 60, running_web["container"])
    assert status == 200, body
    assert json.loads(body)["service"] == running_web["name"]


def test_static_files_come_from_the_front_end(running_web):
    """The Ingress sends /static/ to the front end, whose WhiteNoise serves every app's
    files (the admin's too) from the read-only image; no API deployable serves them."""
    wait_for_status(f"{running_web['url']}/healthz", 60, running_web["container"])
    behind_tls = {"X-Forwarded-Proto": "https"}  # as the Ingress passes it on
    request = urllib.request.Request(
        f"{running_web['url']}/static/admin/css/base.css", headers=behind_tls
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            status, content_type = response.status, response.headers["Content-Type"]
    except urllib.error.HTTPError as error:
        status, content_type = error.code, error.headers["Content-Type"]
    if running_web["name"] == "frontend":
        assert status == 200
        assert content_type.startswith("text/css")
    else:
        assert status == 404


def test_runs_as_uid_10001(running_web):
    # Every process in it (PID 1 and gunicorn's workers), not only the image's USER:
    # real, effective, saved and filesystem uid of each.
    wait_for_status(f"{running_web['url']}/healthz", 60, running_web["container"])
    status = podman(
        "exec", running_web["container"], "sh", "-c", "grep -h ^Uid: /proc/[0-9]*/status"
    ).stdout.splitlines()
    assert len(status) >= 3  # gunicorn's master and its two workers, at least
    assert {uid for line in status for uid in line.split()[1:]} == {APP_UID}, status


def test_writes_nothing_outside_tmp(running_web):
    wait_for_status(f"{running_web['url']}/healthz", 60, running_web["container"])
    logs = podman("logs", running_web["container"])
    assert "Read-only file system" not in logs.stdout + logs.stderr


def test_stops_cleanly_and_quickly_on_sigterm(running_web):
    container = running_web["container"]
    wait_for_status(f"{running_web['url']}/healthz", 60, container)
    started = time.monotonic()
    podman("kill", "--signal", "TERM", container)
    exit_code = podman("wait", container, timeout=30).stdout.strip()
    assert exit_code == "0", podman("logs", container).stderr[-2000:]
    assert time.monotonic() - started < 10


# Run inside the image: which of the deployables' packages exist there, what can be
# imported once Django has set up the deployable, and every file under /app.
INSPECT = """
import importlib, json, os, django
from config.services import select_settings_module
select_settings_module()
django.setup()
result = {"imports": {}, "files": []}
for module in json.loads(os.environ["MODULES"]):
    try:
        importlib.import_module(module)
        result["imports"][module] = "ok"
    except ImportError as error:
        result["imports"][module] = type(error).__name__
for folder, _, files in os.walk("/app"):
    result["files"] += [os.path.join(folder, f) for f in files if not f.endswith(".pyc")]
print(json.dumps(result))
"""
# Code of a deployable beyond its published contract, which every context has (payments
# has no models yet): none of it may be importable in another deployable's image.
CONTEXT_MODULES = ("apps", "api.urls", "sharding", "migrations")
FRONTEND_MODULES = ("apps", "urls", "views")


def package_of(name: str) -> str:
    return SERVICES[name].app


def private_modules(name: str) -> list[str]:
    modules = FRONTEND_MODULES if package_of(name) == "frontend" else CONTEXT_MODULES
    return [f"{package_of(name)}.{module}" for module in modules]


@pytest.fixture(scope="module", params=NAMES)
def inspected(request, app_images):
    name = request.param
    modules = [module for other in NAMES for module in private_modules(other)]
    completed = podman(
        *("run", "--rm", "--read-only", "--entrypoint", "python"),
        *env_flags({**PRODUCTION_ENV, "MODULES": json.dumps(modules)}),
        app_images[name],
        *("-c", INSPECT),
    )
    return {"name": name, **json.loads(completed.stdout.strip().splitlines()[-1])}


def test_imports_its_own_context(inspected):
    own = package_of(inspected["name"])
    own_modules = {m: r for m, r in inspected["imports"].items() if m.startswith(f"{own}.")}
    assert own_modules
    assert set(own_modules.values()) == {"ok"}, own_modules


def test_cannot_import_another_context(inspected):
    own = package_of(inspected["name"])
    foreign = {m: r for m, r in inspected["imports"].items() if not m.startswith(f"{own}.")}
    assert foreign
    assert "ok" not in foreign.values(), foreign


def test_holds_no_other_contexts_files(inspected):
    own_dir = "/app/" + package_of(inspected["name"]).replace(".", "/") + "/"
    for path in inspected["files"]:
        assert "/tests/" not in path, path
        assert "/testing/" not in path, path
        if path.startswith(own_dir):
            continue
        if path.startswith("/app/frontend/"):
            pytest.fail(f"the front end's {path} in {inspected['name']}'s image")
        if path.startswith("/app/apps/") and path.count("/") > 3:
            # Another context: only its published contract and the event schemas it names.
            relative = path.split("/", 4)[4]
            assert relative in {"__init__.py", "contracts.py"} or (
                relative.startswith("schemas/") and relative.endswith(".json")
            ), path


def test_carries_oci_labels(app_images):
    labels = json.loads(
        podman("image", "inspect", "--format", "{{json .Labels}}", app_images["accounts"]).stdout
    )
    revision = labels["org.opencontainers.image.revision"]
    assert len(revision) == 40
    assert app_images["accounts"].endswith(":" + labels["org.opencontainers.image.version"])
    assert labels["org.opencontainers.image.title"] == "hearth-accounts"
    assert labels["org.opencontainers.image.base.name"] == "localhost/hearth/base-python:bookworm"
    assert labels["org.opencontainers.image.created"]
    assert "latest" not in app_images["accounts"].rsplit(":", 1)[1]
