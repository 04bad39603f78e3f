"""The Rego policies (helm/policy, docs/deployment.md "Policies") pass their own unit
tests and hold for every rendering, and each environment's releases taken together
(what lands in the namespace: the regional release, every zone cell, the data tier)."""

import json

import pytest
import yaml

from helm.tests.deploy_rendering import (
    POLICY_DIR,
    chart_renderings,
    environment_renderings,
    environments,
    of_kind,
    overlay_rendering,
    run,
    tool,
)


def policy_failures(manifests: str, tmp_path) -> list[str]:
    rendered = tmp_path / "rendered.yaml"
    rendered.write_text(manifests)
    completed = run(
        tool("conftest"),
        "test",
        "--combine",
        "--no-color",
        "--output",
        "json",
        "--policy",
        str(POLICY_DIR),
        str(rendered),
    )
    assert completed.returncode in (0, 1), completed.stderr
    return sorted(
        failure["msg"]
        for result in json.loads(completed.stdout)
        for failure in result.get("failures") or []
    )


def test_policy_unit_tests_pass():
    completed = run(tool("conftest"), "verify", "--no-color", "--policy", str(POLICY_DIR))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    # Every rule is exercised: a policy file without its test file would go unproven.
    for policy in POLICY_DIR.glob("*.rego"):
        if not policy.stem.endswith("_test") and policy.stem != "kubernetes":
            assert (POLICY_DIR / f"{policy.stem}_test.rego").exists(), policy.name


@pytest.mark.parametrize("rendering", chart_renderings(), ids=lambda rendering: rendering.name)
def test_policies_hold_for_each_chart_alone(rendering, tmp_path):
    assert policy_failures(rendering.text, tmp_path) == []


@pytest.mark.parametrize("environment", environments())
def test_policies_hold_for_an_environment_s_releases_together(environment, tmp_path):
    manifests = "\n---\n".join(rendering.text for rendering in environment_renderings(environment))
    assert policy_failures(manifests, tmp_path) == []


def test_policies_catch_a_broken_real_rendering(tmp_path):
    # The checks above pass because the charts are right, not because nothing is read.
    documents = overlay_rendering("production", "regional").documents
    deployment = of_kind(documents, "Deployment")[0]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    del container["readinessProbe"]
    container["image"] = container["image"].rsplit(":", 1)[0] + ":latest"
    container["securityContext"]["readOnlyRootFilesystem"] = False
    name = f"Deployment/{deployment['metadata']['name']}"
    prefix = f'{name}: container "{container["name"]}"'
    failures = policy_failures(yaml.safe_dump_all(documents), tmp_path)
    assert [f for f in failures if f.startswith(name)] == sorted(
        [
            f"{prefix} has no readinessProbe",
            f"{prefix} has a writable root filesystem",
            f'{prefix} image "{container["image"]}" uses the mutable tag latest',
        ]
    )
