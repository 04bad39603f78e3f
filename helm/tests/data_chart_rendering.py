"""Rendering helm/hearth-data with the real helm binary, for the data chart's own
tests (test_data_chart_*.py). Offline: `helm template` talks to no cluster."""

import subprocess
from functools import cache
from pathlib import Path

from helm.tests import chart_rendering

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "hearth-data"
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
RELEASE = "hearth-data"
STORES = ("kafka", "postgres", "redis", "elasticsearch")


def template(*values_files: Path, settings: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return chart_rendering.template(*values_files, settings=settings, chart=CHART, release=RELEASE)


@cache
def rendered(values_file: Path | None = None) -> tuple[dict, ...]:
    return tuple(chart_rendering.documents(template(*([values_file] if values_file else []))))


def named(documents, kind: str, name: str) -> dict:
    found = [d for d in documents if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"no single {kind} {name}"
    return found[0]


def env_of(container: dict) -> dict[str, str]:
    return {item["name"]: item.get("value") for item in container.get("env", [])}
