"""The chart's pre-install/pre-upgrade Jobs, run as rendered in the real images
against the local stack's stores (`make up`): provisioning, then a deployable's
Kafka ACLs, migrations and topics. Each runs twice: the second run must change
nothing, since every install and upgrade runs them again.

Needs podman, the built images (`make images`) and the local stack.
"""

import subprocess

import pytest

from config.environment import PROVISIONING, local_env_file, parse_env_file
from helm.tests.chart_rendering import by_name, pod_spec, rendered
from helm.tests.test_chart_probes import LOCAL_STORES, newest_image

pytestmark = pytest.mark.integration

# Kafka and a relay: every step a deployable's Job can have.
SUBJECT = "accounts"


def secret_values(name: str) -> dict[str, str]:
    """What the Secret holds, from the local stack's generated files."""
    if name == "hearth-provisioning":
        return parse_env_file(local_env_file(PROVISIONING))
    return parse_env_file(local_env_file(name.removeprefix("hearth-").removesuffix("-env")))


def environment(container: dict) -> dict[str, str]:
    env = {}
    for source in container.get("envFrom", []):
        env |= secret_values(source["secretRef"]["name"])
    for variable in container.get("env", []):
        if "value" in variable:
            env[variable["name"]] = variable["value"]
        else:
            ref = variable["valueFrom"]["secretKeyRef"]
            env[variable["name"]] = secret_values(ref["name"])[ref["key"]]
    env.pop("HEARTH_JWT_KEY_DIR", None)
    # Where the local stack's stores are, instead of the hearth-data Services.
    return {
        **env,
        **{k: v for k, v in LOCAL_STORES.items() if k in env or k.startswith("DATABASE")},
    }


def run_step(image: str, container: dict, tmp_path) -> str:
    env_file = tmp_path / f"{container['name']}.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in environment(container).items()))
    command = ["podman", "run", "--rm", "--network", "host", "--read-only", "--tmpfs", "/tmp"]
    command += ["--cap-drop", "ALL", "--security-opt", "no-new-privileges"]
    command += ["--user", "10001:10001", "--env-file", str(env_file)]
    command += ["-e", "HEARTH_JWT_KEY_DIR=/tmp"]  # no step signs or checks a token
    if "command" in container:
        command += ["--entrypoint", container["command"][0], image, *container["command"][1:]]
    else:
        command += [image, *container["args"]]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, f"{container['name']}:\n{completed.stdout}{completed.stderr}"
    return completed.stdout


def steps(job: dict) -> list[dict]:
    spec = pod_spec(job)
    return [*spec.get("initContainers", []), *spec["containers"]]


@pytest.fixture(scope="module")
def jobs():
    return by_name(rendered(), "Job")


def test_provisioning_runs_and_is_idempotent(jobs, tmp_path):
    image = newest_image("accounts")
    for _ in range(2):
        (step,) = steps(jobs["hearth-provisioning"])
        assert "provisioned database hearth" in run_step(image, step, tmp_path)


def test_a_deployables_acls_migrations_and_topics_run_and_rerun_as_no_ops(jobs, tmp_path):
    image = newest_image(SUBJECT)
    job = jobs[f"hearth-{SUBJECT}-migrate"]
    assert [s["name"] for s in steps(job)] == ["kafka-acls", "migrate", "topics"]
    for step in steps(job):
        run_step(image, step, tmp_path)
    again = {step["name"]: run_step(image, step, tmp_path) for step in steps(job)}
    assert "0 ACLs added, 0 removed" in again["kafka-acls"]
    assert "No migrations to apply" in again["migrate"]
