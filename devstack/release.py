"""Release Hearth to a cluster: `make release` (local) and the release workflow (cloud).

One list of steps for both, so the pipeline that runs on GitHub is the one exercised
here (.github/workflows/release.yml calls `release.py deploy --target production`):

1. preflight: pinned tools, a kubeconfig, a cluster that answers (fails in seconds,
   before anything is built);
2. local only: build every image (devstack/images.py) and push it to the local registry;
3. the namespace (Pod Security `restricted`) and the Secrets (local: generated from
   var/secrets; production: must already exist, synced from the secret manager);
4. local only: the data tier, release `hearth-data`, first: the app chart's hook Jobs
   (provision, migrate, topics) need the stores;
5. release `hearth`: everything but the web tier, post-rendered with the environment's
   overlay; its pre-install/pre-upgrade hooks migrate before any new web pod starts;
6. releases `hearth-zone-a`, `-b`, `-c`: each zone's web cell, one zone at a time;
7. with `--observability` (local only): release `hearth-observability` (Zipkin,
   VictoriaMetrics, vmalert), after the regional release whose scrape ConfigMap it
   mounts; every app release is then given the chart's app-values.yaml, which points
   its tracing and its scraper policies at it.

Every Helm step is `helm upgrade --install --atomic --wait`: a release that does not
become ready rolls itself back, and the first failure stops the run, so at most one
zone ever runs a broken version.

    python3 devstack/release.py deploy [--target local|production] [--observability] [--dry-run]
    python3 devstack/release.py push --registry REGISTRY   (the images workflow)
"""

import argparse
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.services import SERVICES
from devstack import images
from devstack.cluster.topology import INGRESS_HOST, KUBECONFIG, REGISTRY, TLS_DIR
from devstack.layout import ROOT, VENV_PYTHON
from devstack.shell import fail, say, shown, step
from devstack.tools import TOOLS_BIN

NAMESPACE = "hearth"
ZONES = ("zone-a", "zone-b", "zone-c")
# The regional release first (its hooks migrate), then one zone cell at a time.
CELLS = ("regional", *ZONES)
OVERLAYS = ROOT / "k8s-overlays"
POST_RENDER = OVERLAYS / "post-render"
LOCAL_KUBECONFIG = KUBECONFIG
# The local Ingress's certificate: self-signed (no public CA reaches this machine), made
# once, so the deployables run as in production (HTTPS redirect, Secure cookies, HSTS).
LOCAL_TLS_DIR = TLS_DIR
LOCAL_HOST = INGRESS_HOST
# The local cluster's registry, on the host bridge (plain http).
LOCAL_REGISTRY = f"{REGISTRY}/hearth"
HELM_TIMEOUT = "15m"
# Environments that run the data tier in the cluster -> its values: the chart's own
# variant for that cluster, so the values helm/tests checks are the released ones.
DATA_TIER_VALUES = {"local": ROOT / "helm" / "hearth-data" / "ci" / "local-values.yaml"}
# The same for the optional observability release (helm/hearth-observability), and what
# the app releases are given beside it.
OBSERVABILITY_CHART = ROOT / "helm" / "hearth-observability"
OBSERVABILITY_VALUES = {"local": OBSERVABILITY_CHART / "ci" / "local-values.yaml"}
OBSERVABILITY_APP_VALUES = OBSERVABILITY_CHART / "app-values.yaml"


@dataclass(frozen=True)
class Step:
    description: str
    command: list[str]
    # Given to the command on stdin (a manifest for `kubectl apply -f -`).
    stdin_from: list[str] | None = None


@dataclass(frozen=True)
class Target:
    name: str
    registry: str
    kubeconfig: Path
    tag: str


def required_secrets() -> list[str]:
    """What the charts reference and never create (docs/deployment.md, "Secrets")."""
    names = ["hearth-provisioning"]
    for service in SERVICES:
        names += [f"hearth-{service}-env", f"hearth-{service}-jwt"]
    return names


def helm(target: Target, *arguments: str) -> list[str]:
    return [str(TOOLS_BIN / "helm"), "--kubeconfig", str(target.kubeconfig), *arguments]


def kubectl(target: Target, *arguments: str) -> list[str]:
    return ["kubectl", "--kubeconfig", str(target.kubeconfig), *arguments]


def app_chart_arguments(target: Target, cell: str, observability: bool = False) -> list[str]:
    """The app chart, its values and the post-renderer for one cell: what `helm upgrade`
    installs and what helm/tests renders, so the checked manifests are the released ones."""
    observed = ["--values", str(OBSERVABILITY_APP_VALUES)] if observability else []
    arguments = [
        str(ROOT / "helm" / "hearth"),
        "--namespace",
        NAMESPACE,
        "--values",
        str(OVERLAYS / target.name / "values.yaml"),
        *observed,
        "--set",
        f"image.registry={target.registry}",
        "--set",
        f"image.tag={target.tag}",
        "--post-renderer",
        str(POST_RENDER),
        "--post-renderer-args",
        target.name,
        "--post-renderer-args",
        cell,
    ]
    if cell != "regional":
        # The hooks (provision, migrate, topics) belong to the regional release alone.
        arguments.append("--no-hooks")
    return arguments


def data_chart_arguments(target: Target) -> list[str]:
    return _side_chart_arguments(target, ROOT / "helm" / "hearth-data", DATA_TIER_VALUES)


def observability_chart_arguments(target: Target) -> list[str]:
    return _side_chart_arguments(target, OBSERVABILITY_CHART, OBSERVABILITY_VALUES)


def _side_chart_arguments(target: Target, chart: Path, values: dict[str, Path]) -> list[str]:
    """A chart released beside the app's, with the environment's variant of its values
    and the environment's registry."""
    return [
        str(chart),
        "--namespace",
        NAMESPACE,
        "--values",
        str(values[target.name]),
        "--set",
        f"image.registry={target.registry}",
    ]


def app_release_name(cell: str) -> str:
    return "hearth" if cell == "regional" else f"hearth-{cell}"


def upgrade(target: Target, release: str, chart_arguments: list[str]) -> list[str]:
    return helm(
        target,
        "upgrade",
        "--install",
        release,
        *chart_arguments,
        "--atomic",
        "--wait",
        "--timeout",
        HELM_TIMEOUT,
    )


def push_steps(registry: str, tls_verify: bool, tag: str | None = None) -> list[Step]:
    references = [image.reference for image in images.app_images(tag) + images.infra_images()]
    return push_reference_steps(references, registry, tls_verify)


def pushed_reference(reference: str, registry: str) -> str:
    """A locally built image's name on `registry`: the same path below it."""
    return f"{registry}/{reference.removeprefix(images.REGISTRY + '/')}"


def push_reference_steps(references: list[str], registry: str, tls_verify: bool) -> list[Step]:
    steps = []
    for reference in references:
        pushed = pushed_reference(reference, registry)
        steps += [
            Step(f"tag {pushed}", ["podman", "tag", reference, pushed]),
            Step(
                f"push {pushed}",
                ["podman", "push", f"--tls-verify={str(tls_verify).lower()}", pushed],
            ),
        ]
    return steps


def local_tls_steps(target: Target) -> list[Step]:
    certificate, key = LOCAL_TLS_DIR / "tls.crt", LOCAL_TLS_DIR / "tls.key"
    steps = []
    if not certificate.exists():
        steps += [
            Step("a directory for the local certificate", ["mkdir", "-p", str(LOCAL_TLS_DIR)]),
            Step(
                f"a self-signed certificate for {LOCAL_HOST}",
                [
                    *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "825"),
                    *("-subj", f"/CN={LOCAL_HOST}", "-addext", f"subjectAltName=DNS:{LOCAL_HOST}"),
                    *("-keyout", str(key), "-out", str(certificate)),
                ],
            ),
        ]
    steps.append(
        Step(
            "Secret hearth-tls (the Ingress's certificate)",
            kubectl(target, "apply", "--namespace", NAMESPACE, "-f", "-"),
            stdin_from=[
                *("kubectl", "create", "secret", "tls", "hearth-tls"),
                *("--cert", str(certificate), "--key", str(key), "--namespace", NAMESPACE),
                *("--dry-run=client", "--output", "yaml"),
            ],
        )
    )
    return steps


def secret_steps(target: Target) -> list[Step]:
    if target.name == "local":
        return [
            Step(
                "Secrets from var/secrets",
                kubectl(target, "apply", "--namespace", NAMESPACE, "-f", "-"),
                stdin_from=[
                    str(VENV_PYTHON),
                    "-m",
                    "devstack.k8s_secrets",
                    "--namespace",
                    NAMESPACE,
                ],
            ),
            *local_tls_steps(target),
        ]
    return [
        Step(
            "Secrets synced from the secret manager",
            kubectl(target, "get", "secret", "--namespace", NAMESPACE, *required_secrets()),
        )
    ]


def plan(target: Target, observability: bool = False) -> list[Step]:
    if observability and target.name not in OBSERVABILITY_VALUES:
        raise fail(f"no observability values for {target.name}: --observability is local only")
    steps = [
        Step(
            "pinned deploy tools", [sys.executable, str(ROOT / "devstack" / "tools.py"), "--check"]
        )
    ]
    if target.name == "local":
        steps.append(
            Step("build every image", [sys.executable, str(ROOT / "devstack" / "images.py")])
        )
        # The local registry speaks plain http, on the host bridge only.
        steps += push_steps(target.registry, tls_verify=False, tag=target.tag)
    steps.append(
        Step("namespace", kubectl(target, "apply", "-f", str(OVERLAYS / "namespace.yaml")))
    )
    steps += secret_steps(target)
    if target.name in DATA_TIER_VALUES:
        steps.append(
            Step(
                "release hearth-data (in-cluster data tier)",
                upgrade(target, "hearth-data", data_chart_arguments(target)),
            )
        )
    for cell in CELLS:
        release = app_release_name(cell)
        steps.append(
            Step(
                f"release {release} ({target.name}, {cell})",
                upgrade(target, release, app_chart_arguments(target, cell, observability)),
            )
        )
    if observability:
        steps.append(
            Step(
                "release hearth-observability (Zipkin, VictoriaMetrics, vmalert)",
                upgrade(target, "hearth-observability", observability_chart_arguments(target)),
            )
        )
    return steps


def execute(steps: list[Step]) -> None:
    for number, current in enumerate(steps, 1):
        step(f"[{number}/{len(steps)}] {current.description}")
        stdin = None
        if current.stdin_from:
            say(f"$ {shown(current.stdin_from)} |")
            produced = subprocess.run(
                current.stdin_from, capture_output=True, check=False, cwd=ROOT
            )
            if produced.returncode != 0:
                print(produced.stderr.decode(errors="replace"), file=sys.stderr)
                raise fail(f"`{shown(current.stdin_from)}` exited with {produced.returncode}")
            stdin = produced.stdout
        say(f"$ {shown(current.command)}")
        completed = subprocess.run(current.command, input=stdin, check=False, cwd=ROOT)
        if completed.returncode != 0:
            raise fail(
                f"step {number} ({current.description}) failed with status "
                f"{completed.returncode}; later steps were not run"
            )


def explain_unreachable(target: Target) -> None:
    """Fail in seconds, saying why, before anything is built or pushed."""
    if not target.kubeconfig.exists():
        where = (
            "`make cluster` writes it when it starts the local cluster"
            if target.name == "local"
            else "the workflow writes it from the KUBECONFIG secret"
        )
        raise fail(f"no kubeconfig at {target.kubeconfig}: {where}; nothing was deployed")
    reachable = subprocess.run(
        kubectl(target, "--request-timeout=5s", "get", "--raw", "/readyz"),
        capture_output=True,
        text=True,
        check=False,
    )
    if reachable.returncode != 0:
        said = (reachable.stderr.strip().splitlines() or ["no output"])[-1]
        raise fail(
            f"the cluster of {target.kubeconfig} does not answer ({said}); nothing was deployed"
        )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    deploy = commands.add_parser("deploy", help="release to a cluster, zone by zone")
    deploy.add_argument("--target", choices=["local", "production"], default="local")
    deploy.add_argument("--registry", help="where the cluster pulls images from")
    deploy.add_argument("--kubeconfig", type=Path, help="default: var/cluster/kubeconfig")
    deploy.add_argument("--tag", help="image tag (default: this commit, as images.py tags)")
    deploy.add_argument("--dry-run", action="store_true", help="print the steps, run none")
    deploy.add_argument(
        "--observability",
        action="store_true",
        help="also release helm/hearth-observability and point the app at it (local only)",
    )
    pushing = commands.add_parser("push", help="push every built image to a registry")
    pushing.add_argument("--registry", required=True)
    options = parser.parse_args(argv)

    if options.command == "push":
        execute(push_steps(options.registry, tls_verify=True))
        return
    if options.target == "production" and not options.registry:
        raise fail("--registry is required for production")
    target = Target(
        name=options.target,
        registry=options.registry or LOCAL_REGISTRY,
        kubeconfig=options.kubeconfig or LOCAL_KUBECONFIG,
        tag=options.tag or images.app_tag(),
    )
    steps = plan(target, options.observability)
    if options.dry_run:
        for number, current in enumerate(steps, 1):
            prefix = f"{shown(current.stdin_from)} | " if current.stdin_from else ""
            print(f"{number}. {current.description}: {prefix}{shown(current.command)}")
        return
    explain_unreachable(target)
    execute(steps)


if __name__ == "__main__":
    main(sys.argv[1:])
