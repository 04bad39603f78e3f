"""The kills: steps scheduled in the run, each a fault and, `hold` seconds later,
its repair.

    "<at> <action> <target> [<hold>]"     e.g. "60 node-kill node-a 30"

actions: node-kill (`devstack/cluster node kill`, then `node start`), node-cut
(`node cut`, then `node heal`), program (a supervisord program of the local stack:
`supervisorctl stop`, then `start`). A node target may also be `pg-primary` (the
node whose Patroni pod is labelled role=primary) or `kafka-controller` (the node
of the KRaft quorum's leader, as the quorum itself reports it), resolved at the
moment of the kill.
"""

import base64
import re
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from devstack.cluster.topology import BIN, KUBECONFIG
from devstack.layout import ROOT
from devstack.programs import kafka_command
from devstack.supervise import supervisorctl

ACTIONS = {
    "node-kill": ("kill", "start"),
    "node-cut": ("cut", "heal"),
    "program": ("stop", "start"),
}
DEFAULT_HOLD_S = 30.0

KUBECTL = BIN / "kubectl"
NAMESPACE = "hearth"
POSTGRES_SELECTOR = "app.kubernetes.io/name=postgres,app.kubernetes.io/instance=hearth-data"
KAFKA_SELECTOR = "app.kubernetes.io/name=kafka,app.kubernetes.io/instance=hearth-data"
KAFKA_ADMIN_SECRET = "hearth-data-admin"  # helm/hearth-data values: adminSecret


@dataclass(frozen=True)
class Step:
    at: float
    action: str
    target: str
    hold: float = DEFAULT_HOLD_S


def parse_step(text: str) -> Step:
    words = text.split()
    if len(words) not in (3, 4) or words[1] not in ACTIONS:
        raise ValueError(
            f"a kill is '<at> <action> <target> [<hold>]', action one of {sorted(ACTIONS)}: "
            f"not {text!r}"
        )
    hold = float(words[3]) if len(words) == 4 else DEFAULT_HOLD_S
    return Step(at=float(words[0]), action=words[1], target=words[2], hold=hold)


@dataclass
class Done:
    step: Step
    resolved: str  # the node or program acted on
    kill_at: float  # seconds since the load started
    restore_at: float | None = None
    error: str | None = None


# --- the cluster -----------------------------------------------------------------


def kubectl(*arguments: str, stdin: str | None = None, timeout: float = 60) -> str:
    command = [str(KUBECTL), "--kubeconfig", str(KUBECONFIG), "-n", NAMESPACE, *arguments]
    completed = subprocess.run(
        command, input=stdin, capture_output=True, text=True, timeout=timeout, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"kubectl {' '.join(arguments[:3])}: {completed.stderr.strip()}")
    return completed.stdout


def node_of(pod: str) -> str:
    return kubectl("get", "pod", pod, "-o", "jsonpath={.spec.nodeName}").strip()


def postgres_primary_pod() -> str:
    pods = kubectl(
        "get",
        "pods",
        "-l",
        f"{POSTGRES_SELECTOR},role=primary",
        "-o",
        "jsonpath={.items[*].metadata.name}",
    ).split()
    if len(pods) != 1:
        raise RuntimeError(f"expected one PostgreSQL pod labelled role=primary, found {pods}")
    return pods[0]


def quorum_leader_id(status: str) -> int:
    match = re.search(r"^LeaderId:\s*(\d+)", status, re.MULTILINE)
    if not match:
        raise RuntimeError(f"no LeaderId in the quorum's status: {status[:300]}")
    return int(match.group(1))


def kafka_controller_pod() -> str:
    """Asked of the quorum from the host, over the pod network: a second JVM inside
    a broker's pod, beside the broker and under its memory limit, was killed (137)
    before it answered while the cluster was busy."""
    lines = kubectl(
        "get",
        "pods",
        "-l",
        KAFKA_SELECTOR,
        "--field-selector=status.phase=Running",
        "-o",
        r"jsonpath={range .items[*]}{.metadata.name} {.status.podIP}{'\n'}{end}",
    ).split("\n")
    pods = dict(line.split() for line in lines if line.strip())
    if not pods:
        raise RuntimeError("no running Kafka pod to ask")
    controllers = ",".join(f"{ip}:9093" for ip in pods.values())
    with tempfile.TemporaryDirectory(prefix="chaos-quorum-") as scratch:
        config = Path(scratch) / "admin.properties"  # the directory is 0700
        config.write_text(_admin_properties())
        completed = subprocess.run(
            kafka_command(
                "org.apache.kafka.tools.MetadataQuorumCommand",
                "--bootstrap-controller",
                controllers,
                "--command-config",
                config,
                "describe",
                "--status",
                jvm_options=("-Xmx128m",),
            ),
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
    if completed.returncode != 0:
        raise RuntimeError(f"the quorum's status: {completed.stderr.strip()[-500:]}")
    # Node ids are the StatefulSet's ordinals (containers/kafka/hearth-kafka).
    statefulset = next(iter(pods)).rsplit("-", 1)[0]
    return f"{statefulset}-{quorum_leader_id(completed.stdout)}"


def _admin_properties() -> str:
    """The data tier's Kafka administrator, from its Secret: kept in a file, so the
    password never crosses a command line."""

    def secret(key: str) -> str:
        encoded = kubectl("get", "secret", KAFKA_ADMIN_SECRET, "-o", f"jsonpath={{.data.{key}}}")
        return base64.b64decode(encoded).decode()

    module = "org.apache.kafka.common.security.plain.PlainLoginModule"
    username, password = secret("KAFKA_ADMIN_USERNAME"), secret("KAFKA_ADMIN_PASSWORD")
    return (
        "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"
        f'sasl.jaas.config={module} required username="{username}" password="{password}";\n'
    )


def resolve(step: Step) -> str:
    if step.action == "program":
        return step.target
    if step.target == "pg-primary":
        return node_of(postgres_primary_pod())
    if step.target == "kafka-controller":
        return node_of(kafka_controller_pod())
    return step.target


def act(step: Step, resolved: str, *, repair: bool) -> None:
    verb = ACTIONS[step.action][1 if repair else 0]
    if step.action == "program":
        completed = supervisorctl(verb, resolved)
    else:
        completed = subprocess.run(
            ["python3", "devstack/cluster", "node", verb, resolved],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    if completed.returncode != 0:
        raise RuntimeError(f"{verb} {resolved}: {(completed.stderr or completed.stdout).strip()}")


# --- the schedule ----------------------------------------------------------------


def run_schedule(steps: list[Step], now: Callable[[], float], stop: threading.Event) -> list[Done]:
    """Run the steps in order of `at` (seconds on `now`'s clock); returns as each
    repair is done, or at once when `stop` is set. A step whose target cannot be
    resolved is recorded with its error and skipped."""
    done = []
    for step in sorted(steps, key=lambda s: s.at):
        if stop.wait(max(0.0, step.at - now())):
            break
        try:
            resolved = resolve(step)
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            done.append(Done(step, step.target, now(), error=str(error)))
            continue
        record = Done(step, resolved, now())
        done.append(record)
        try:
            act(step, resolved, repair=False)
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            record.error = str(error)
            continue
        # The repair happens even when the run is being stopped: never leave a node down.
        stop.wait(step.hold)
        try:
            act(step, resolved, repair=True)
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            record.error = str(error)
        record.restore_at = now()
    return done


def start_schedule(
    steps: list[Step], now: Callable[[], float]
) -> tuple[threading.Thread, list[Done], threading.Event]:
    stop = threading.Event()
    results: list[Done] = []
    thread = threading.Thread(
        target=lambda: results.extend(run_schedule(steps, now, stop)), name="kills", daemon=True
    )
    thread.start()
    return thread, results, stop
