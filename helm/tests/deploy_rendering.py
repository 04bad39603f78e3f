"""Everything the deploy checks look at, found on disk, rendered once per test run.

- every chart under helm/ (a folder with a Chart.yaml), with each of its
  `ci/*-values.yaml` files (helm's convention; a chart without one fails);
- every environment overlay in k8s-overlays/ (a folder with a values.yaml) in every
  cell (regional, zone-*), rendered with exactly the arguments `make release` and the
  release workflow give `helm upgrade` (devstack/release.py), plus the data chart
  where the environment runs it in the cluster (release.DATA_TIER_VALUES).

All offline: `helm template` and `kubectl kustomize` talk to no cluster.
"""

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from devstack import release
from devstack.tools import TOOLS_BIN

ROOT = Path(__file__).resolve().parents[2]
HELM_DIR = ROOT / "helm"
OVERLAYS = ROOT / "k8s-overlays"
POLICY_DIR = HELM_DIR / "policy"
WORKFLOWS = ROOT / ".github" / "workflows"
# The cluster's version (the local cluster runs 1.34, see ../shared/notes/kubernetes.md).
KUBERNETES_VERSION = "1.34.0"
# A tag as images.py makes them, so renderings do not depend on the working tree.
TEST_TAG = "0123456789ab"


def tool(name: str) -> str:
    """A pinned tool from var/tools/bin; kubectl (for kustomize) from PATH."""
    if name == "kubectl":
        found = shutil.which("kubectl")
        assert found, "kubectl is needed for `kubectl kustomize`"
        return found
    path = TOOLS_BIN / name
    assert path.exists(), f"{path} is missing: `make tools` installs it"
    return str(path)


def run(*command: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        list(command),
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
        env={**os.environ, "KUBECTL": tool("kubectl")},
    )


def charts() -> list[Path]:
    return sorted(path.parent for path in HELM_DIR.glob("*/Chart.yaml"))


def ci_values(chart: Path) -> list[Path]:
    return sorted((chart / "ci").glob("*-values.yaml"))


def environments() -> list[str]:
    return sorted(path.parent.name for path in OVERLAYS.glob("*/values.yaml"))


def zones() -> list[str]:
    found = sorted(path.parent.name for path in OVERLAYS.glob("zone-*/kustomization.yaml"))
    assert tuple(found) == release.ZONES, f"zone overlays {found} != release.ZONES"
    return found


def cells() -> list[str]:
    return ["regional", *zones()]


@dataclass(frozen=True)
class Rendering:
    """One set of manifests as some `helm upgrade` or `helm template` would produce."""

    name: str
    command: tuple[str, ...]

    @property
    def documents(self) -> list[dict]:
        return documents_of(self.command)

    @property
    def text(self) -> str:
        return rendered_text(self.command)


@cache
def rendered_text(command: tuple[str, ...]) -> str:
    completed = run(*command)
    assert completed.returncode == 0, f"{' '.join(command)}\n{completed.stderr}"
    return completed.stdout


class StrictLoader(yaml.SafeLoader):
    """YAML that refuses a key given twice: PyYAML and Helm keep the last silently,
    kustomize and `kubectl apply` refuse the manifest."""

    def construct_mapping(self, node, deep=False):
        keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise yaml.constructor.ConstructorError(
                None, None, f"key(s) {repeated} given twice", node.start_mark
            )
        return super().construct_mapping(node, deep=deep)


@cache
def documents_of(command: tuple[str, ...]) -> list[dict]:
    return [doc for doc in yaml.load_all(rendered_text(command), Loader=StrictLoader) if doc]


def template(release_name: str, chart_arguments: list[str]) -> tuple[str, ...]:
    return (
        tool("helm"),
        "template",
        release_name,
        *chart_arguments,
        "--kube-version",
        KUBERNETES_VERSION,
    )


def chart_renderings() -> list[Rendering]:
    renderings = []
    for chart in charts():
        for values in ci_values(chart):
            arguments = [str(chart), "--namespace", release.NAMESPACE, "--values", str(values)]
            renderings.append(
                Rendering(f"{chart.name}:{values.name}", template(chart.name, arguments))
            )
    return renderings


def target(environment: str) -> release.Target:
    registry = release.LOCAL_REGISTRY if environment == "local" else "registry.example.com/hearth"
    return release.Target(environment, registry, release.LOCAL_KUBECONFIG, TEST_TAG)


def overlay_rendering(environment: str, cell: str) -> Rendering:
    arguments = release.app_chart_arguments(target(environment), cell)
    return Rendering(f"{environment}:{cell}", template(release.app_release_name(cell), arguments))


def data_rendering(environment: str) -> Rendering | None:
    if environment not in release.DATA_TIER_VALUES:
        return None
    arguments = release.data_chart_arguments(target(environment))
    return Rendering(f"{environment}:hearth-data", template("hearth-data", arguments))


def environment_renderings(environment: str) -> list[Rendering]:
    """What one environment's releases put into the namespace, all together."""
    renderings = [overlay_rendering(environment, cell) for cell in cells()]
    data = data_rendering(environment)
    return renderings + ([data] if data else [])


def all_renderings() -> list[Rendering]:
    return chart_renderings() + [
        rendering
        for environment in environments()
        for rendering in environment_renderings(environment)
    ]


def of_kind(documents: list[dict], kind: str) -> list[dict]:
    return [doc for doc in documents if doc.get("kind") == kind]


def labels_match(selector: dict, labels: dict) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())
