"""The CI/CD pipeline: workflows that actionlint accepts, a release workflow that runs
the same steps as `make release` (it calls devstack/release.py), and a release that
stops before touching anything when no cluster answers."""

import subprocess
import sys
import time

import pytest
import yaml

from devstack import release
from helm.tests.deploy_rendering import ROOT, WORKFLOWS, run, tool


def workflow(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def commands(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def triggers(document: dict) -> dict:
    # YAML 1.1 reads the key `on` as True.
    return document.get("on", document.get(True))


def test_actionlint_accepts_every_workflow():
    files = sorted(str(path) for path in WORKFLOWS.glob("*.yml"))
    assert files
    completed = run(tool("actionlint"), "-no-color", *files)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_every_push_runs_the_tests():
    ci = workflow("ci.yml")
    assert "push" in triggers(ci)
    assert "make test" in commands(ci["jobs"]["test"])


def test_main_builds_and_pushes_every_image():
    images = workflow("images.yml")
    assert triggers(images)["push"]["branches"] == ["main"]
    steps = commands(images["jobs"]["build-and-push"])
    # Every image, on each Containerfile's public base (a hosted runner reaches registries).
    assert "devstack/images.py --public-bases" in steps
    assert "devstack/release.py push" in steps


def test_the_release_workflow_is_make_release_behind_a_protected_environment():
    document = workflow("release.yml")
    assert triggers(document)["push"]["branches"] == ["release"]
    assert document["concurrency"]["cancel-in-progress"] is False
    (job,) = document["jobs"].values()
    assert job["environment"] == "production"
    assert "devstack/release.py deploy --target production" in " ".join(commands(job).split())


def dry_run(*arguments: str) -> list[str]:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "devstack" / "release.py"), "deploy", "--dry-run", *arguments],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.splitlines()


def helm_releases(plan: list[str]) -> list[str]:
    releases = []
    for line in plan:
        if " upgrade --install " in line:
            words = line.split(" upgrade --install ", 1)[1].split()
            assert "--atomic" in words, line
            assert "--wait" in words, line
            releases.append(words[0])
    return releases


@pytest.mark.parametrize("target", ["local", "production"])
def test_the_release_installs_the_data_tier_then_the_region_then_one_zone_at_a_time(target):
    plan = dry_run("--target", target, "--registry", "registry.example.com/hearth")
    expected = ["hearth", "hearth-zone-a", "hearth-zone-b", "hearth-zone-c"]
    if target == "local":
        expected.insert(0, "hearth-data")
    assert helm_releases(plan) == expected
    zone_lines = [line for line in plan if "upgrade --install hearth-zone-" in line]
    assert all("--no-hooks" in line for line in zone_lines)
    assert plan[0].startswith("1. pinned deploy tools")


def test_the_local_release_builds_and_pushes_every_image_before_installing():
    plan = dry_run()
    pushes = [line for line in plan if " podman push " in line]
    deployables = {line.split("/hearth-")[-1].split(":")[0] for line in pushes}
    from config.services import SERVICES

    assert set(SERVICES) <= deployables
    first_helm = next(i for i, line in enumerate(plan) if " upgrade --install " in line)
    assert max(plan.index(line) for line in pushes) < first_helm


def release_without_a_cluster(kubeconfig) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "devstack" / "release.py"),
            "deploy",
            "--kubeconfig",
            str(kubeconfig),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=60,
    )


def test_the_release_stops_at_once_without_a_kubeconfig(tmp_path):
    completed = release_without_a_cluster(tmp_path / "missing")
    assert completed.returncode == 1
    assert "no kubeconfig" in completed.stderr
    assert "nothing was deployed" in completed.stderr
    assert "build every image" not in completed.stdout


def test_the_release_stops_at_once_when_the_cluster_does_not_answer(tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "gone", "cluster": {"server": "https://127.0.0.1:9"}}],
                "users": [{"name": "nobody", "user": {"token": "none"}}],
                "contexts": [{"name": "gone", "context": {"cluster": "gone", "user": "nobody"}}],
                "current-context": "gone",
            }
        )
    )
    started = time.monotonic()
    completed = release_without_a_cluster(kubeconfig)
    assert completed.returncode == 1
    assert "does not answer" in completed.stderr
    assert "nothing was deployed" in completed.stderr
    assert "build every image" not in completed.stdout
    assert time.monotonic() - started < 30


def test_release_secrets_are_the_ones_the_chart_references():
    from helm.tests.deploy_rendering import overlay_rendering

    referenced = set()
    for doc in (
        overlay_rendering("production", "regional").documents
        + overlay_rendering("production", "zone-a").documents
    ):
        spec = doc.get("spec", {}).get("template", {}).get("spec")
        if not spec:
            continue
        for container in spec.get("containers", []) + spec.get("initContainers", []):
            for source in container.get("envFrom", []):
                if "secretRef" in source:
                    referenced.add(source["secretRef"]["name"])
            for variable in container.get("env", []):
                secret = variable.get("valueFrom", {}).get("secretKeyRef")
                if secret:
                    referenced.add(secret["name"])
        for volume in spec.get("volumes", []):
            if "secret" in volume:
                referenced.add(volume["secret"]["secretName"])
    # The TLS Secret is cert-manager's to make; every other one must be checked for.
    assert referenced - {"hearth-tls"} <= set(release.required_secrets())


def test_the_local_release_applies_its_ingress_certificate_before_the_app():
    plan = dry_run()
    tls = next(i for i, line in enumerate(plan) if "Secret hearth-tls" in line)
    assert "kubectl create secret tls hearth-tls" in plan[tls]
    assert tls < next(i for i, line in enumerate(plan) if "upgrade --install hearth " in line)
