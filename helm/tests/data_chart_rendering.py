"""Rendering helm/hearth-data with the real helm binary, for the data chart's own
tests (test_data_chart_*.py). Offline: `helm template` talks to no cluster."""

import subprocess
from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "hearth-data"
HELM = ROOT / "var" / "tools" / "bin" / "helm"
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
RELEASE = "hearth-data"
STORES = ("kafka", "postgres", "redis", "elasticsearch")


def template(*values_files: Path, settings: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    if not HELM.exists():
        raise AssertionError(f"{HELM} is missing: `make tools` installs it")
    arguments = [str(HELM), "template", RELEASE, str(CHART), "--namespace", "hearth"]
    for path in values_files:
        arguments += ["--values", str(path)]
    for setting in settings:
        arguments += ["--set", setting]
    return subprocess.run(arguments, capture_output=True, text=True, check=False, timeout=120)


@cache
def rendered(values_file: Path | None = None) -> tuple[dict, ...]:
    completed = template(*([values_file] if values_file else []))
    assert completed.returncode == 0, completed.stderr
    return tuple(doc for doc in yaml.safe_load_all(completed.stdout) if doc)


def named(documents, kind: str, name: str) -> dict:
    found = [d for d in documents if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"no single {kind} {name}"
    return found[0]


def env_of(container: dict) -> dict[str, str]:
    return {item["name"]: item.get("value") for item in container.get("env", [])}
