"""Rendering helm/hearth with the real helm binary, for the chart's own tests
(test_chart_*.py). Offline: `helm template` talks to no cluster."""

import subprocess
from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "hearth"
HELM = ROOT / "var" / "tools" / "bin" / "helm"
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))


def helm(*arguments: str) -> subprocess.CompletedProcess:
    if not HELM.exists():
        raise AssertionError(f"{HELM} is missing: `make tools` installs it")
    return subprocess.run(
        [str(HELM), *arguments], capture_output=True, text=True, check=False, timeout=120
    )


def template(
    *values_files: Path,
    settings: tuple[str, ...] = (),
    chart: Path = CHART,
    release: str = "hearth",
) -> subprocess.CompletedProcess:
    arguments = ["template", release, str(chart), "--namespace", "hearth"]
    for path in values_files:
        arguments += ["--values", str(path)]
    for setting in settings:
        arguments += ["--set", setting]
    return helm(*arguments)


@cache
def rendered(values_file: Path | None = None, settings: tuple[str, ...] = ()) -> list[dict]:
    return documents(template(*([values_file] if values_file else []), settings=settings))


def documents(completed: subprocess.CompletedProcess) -> list[dict]:
    """The manifests a `template` run rendered; it must have succeeded."""
    assert completed.returncode == 0, completed.stderr
    return [doc for doc in yaml.safe_load_all(completed.stdout) if doc]


def of_kind(documents: list[dict], kind: str) -> list[dict]:
    return [doc for doc in documents if doc["kind"] == kind]


def by_name(documents: list[dict], kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in of_kind(documents, kind)}


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]
