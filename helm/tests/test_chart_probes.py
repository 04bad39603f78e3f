"""The chart's probes of the processes without an API, run in the real image: each
exec probe exactly as rendered, each HTTP probe against the container's metrics port,
in a container started as the chart starts
it (read-only root, /tmp writable, no capabilities, its key ring mounted read-only
where HEARTH_JWT_KEY_DIR points), against the local stack's stores (`make up`).

Needs podman, a built image (`make images`) and the local stack. On the host's network
each container serves its metrics on a port of its own, 18580-18589 (in a pod they
share the chart's one port).
"""

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from config.environment import local_env_file, parse_env_file
from config.secrets import LOCAL_KEY_DIR
from config.services import SERVICES
from helm.tests.chart_rendering import by_name, pod_spec, rendered

pytestmark = pytest.mark.integration

# The local stack's addresses (devstack/layout.py), for a container on the host network.
LOCAL_STORES = {
    "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092",
    "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
    "DATABASE_HOST": "127.0.0.1",
    "DATABASE_PORT": "5433",
    "EMAIL_HOST": "127.0.0.1",
    "EMAIL_PORT": "1025",
    # The local stack's Redis is one server, not a Sentinel set.
    "REDIS_SENTINELS": "",
}
METRICS_PORTS = iter(range(18580, 18590))
# Each container's metrics port on the host, by container name: HTTP probes go there.
METRICS_PORT_OF: dict[str, int | None] = {}
# The deployable that runs every kind of process without a port.
SUBJECT = next(name for name, s in SERVICES.items() if s.celery_worker and s.celery_beat)
# A deployable with a relay, for the one process SUBJECT lacks.
PUBLISHER = next(name for name, s in SERVICES.items() if s.publishes_events)


def newest_image(name: str) -> str:
    listed = subprocess.run(
        ["podman", "images", "--format", "json", f"localhost/hearth/hearth-{name}"],
        capture_output=True,
        text=True,
        check=True,
    )
    images = sorted(json.loads(listed.stdout or "[]"), key=lambda i: i["Created"], reverse=True)
    named = [n for image in images for n in image.get("Names", []) if ":" in n]
    assert named, f"no image localhost/hearth/hearth-{name}: `make images` builds it"
    return named[0]


@pytest.fixture(scope="module")
def containers(tmp_path_factory):
    """Every process of SUBJECT, and the relay of a deployable that publishes (SUBJECT
    publishes nothing), each started as the chart starts it; keyed by process."""
    assert shutil.which("podman"), "podman is needed (make images installs it)"
    documents = rendered()
    deployments = by_name(documents, "Deployment")
    work = tmp_path_factory.mktemp("probes")
    runs = [(SUBJECT, process) for process in processes_of(SUBJECT)]
    if "relay" not in processes_of(SUBJECT):
        runs.append((PUBLISHER, "relay"))
    started = {}
    for deployable, process in runs:
        container = pod_spec(deployments[f"hearth-{deployable}-{process}"])["containers"][0]
        name = f"h2-probe-{deployable}-{process}"
        subprocess.run(["podman", "rm", "-f", name], capture_output=True, check=False)
        configured = as_the_chart_configures(deployable, container, documents, work)
        METRICS_PORT_OF[name] = metrics_port(configured)
        subprocess.run(
            [
                *("podman", "run", "-d", "--name", name, "--hostname", name),
                *("--network", "host", "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL"),
                *("--security-opt", "no-new-privileges", "--user", "10001:10001"),
                *configured,
                *(newest_image(deployable), *container["args"]),
            ],
            capture_output=True,
            check=True,
        )
        started[process] = (name, container)
    time.sleep(20)  # Django's start-up, and the worker's connection to its broker
    yield started
    for name, _ in started.values():
        subprocess.run(["podman", "rm", "-f", "-t", "30", name], capture_output=True, check=False)


def as_the_chart_configures(deployable: str, container: dict, documents, work) -> list[str]:
    """podman flags for the container's environment and key mount, as the chart gives
    them: its ConfigMap, its Secret (here: the local stack's values), its own env."""
    config = by_name(documents, "ConfigMap")[f"hearth-{deployable}-config"]["data"]
    env = {**config, **parse_env_file(local_env_file(deployable)), **LOCAL_STORES}
    env["HEARTH_JWT_KEY_DIR"] = config["HEARTH_JWT_KEY_DIR"]
    env |= {item["name"]: item["value"] for item in container.get("env", [])}
    if "HEARTH_METRICS_PORT" in env:
        env["HEARTH_METRICS_PORT"] = str(next(METRICS_PORTS))
    keys = work / f"jwt-{deployable}"
    if not keys.exists():
        shutil.copytree(LOCAL_KEY_DIR / deployable, keys)
        keys.chmod(0o755)
        for key in keys.iterdir():
            key.chmod(0o444)  # the Secret volume's files are readable by the pod's user
    env_file = work / f"env-{deployable}-{container['name']}"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    mount = next(m["mountPath"] for m in container["volumeMounts"] if m["name"] == "jwt")
    return ["--env-file", str(env_file), "-v", f"{keys}:{mount}:ro"]


def metrics_port(podman_flags: list[str]) -> int | None:
    env_file = podman_flags[podman_flags.index("--env-file") + 1]
    env = parse_env_file(Path(env_file))
    return int(env["HEARTH_METRICS_PORT"]) if "HEARTH_METRICS_PORT" in env else None


def processes_of(name: str) -> list[str]:
    service = SERVICES[name]
    kinds = {"relay": service.publishes_events, "consumers": service.consumes_events}
    kinds |= {"worker": service.celery_worker, "beat": service.celery_beat}
    return [kind for kind, runs in kinds.items() if runs]


def probe(name: str, check: dict) -> int:
    """0 when the probe passes, as the kubelet judges it."""
    timeout = check.get("timeoutSeconds", 1)
    if "httpGet" in check:
        url = f"http://127.0.0.1:{METRICS_PORT_OF[name]}{check['httpGet']['path']}"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return 0 if 200 <= response.status < 400 else 1
        except (urllib.error.URLError, TimeoutError):
            return 1
    command = ["podman", "exec", name, *check["exec"]["command"]]
    return subprocess.run(command, capture_output=True, timeout=timeout + 5, check=False).returncode


def test_each_process_passes_its_own_probes(containers):
    for process, (name, container) in containers.items():
        for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
            if kind in container:
                assert probe(name, container[kind]) == 0, f"{process} {kind}"


def test_the_relay_and_consumers_are_judged_by_their_loops_heartbeat(containers):
    # Their liveness reads the files the loops touch: a process whose metrics thread
    # still answers fails it when one of its loops has hung. Here a loop's file five
    # minutes old stands for that loop; without it the probe passes again.
    for process in ("relay", "consumers"):
        name, container = containers[process]
        liveness = container["livenessProbe"]
        assert liveness["httpGet"]["path"].startswith("/healthz")
        hung = ["sh", "-c", "touch -d '-5 minutes' /tmp/heartbeats/a-hung-loop"]
        subprocess.run(["podman", "exec", name, *hung], capture_output=True, check=True)
        assert probe(name, liveness) != 0, process
        gone = ["rm", "/tmp/heartbeats/a-hung-loop"]
        subprocess.run(["podman", "exec", name, *gone], capture_output=True, check=True)
        assert probe(name, liveness) == 0, process


def test_the_worker_probe_asks_for_its_own_pods_worker(containers):
    # Run where no worker has that host name (the consumers' pod), the same probe
    # fails: it does not pass because some other worker of the queue answered.
    _, worker = containers["worker"]
    elsewhere, _ = containers["consumers"]
    assert probe(elsewhere, worker["readinessProbe"]) != 0
