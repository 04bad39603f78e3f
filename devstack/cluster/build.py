"""Build every binary and image the local Kubernetes cluster runs.

    python3 devstack/cluster/build.py                   build what is missing or stale
    python3 devstack/cluster/build.py --update-wrapper  rewrite the Kubernetes wrapper
                                                        module for KUBERNETES_VERSION

Everything comes from Debian's packages and the Go module proxy; nothing is pulled from
a container registry. Each step checks first and does nothing when its work is done, so a
second run takes seconds:

1. Debian packages the nodes and the control plane run (containerd, runc, CNI plugins,
   etcd, iptables, haproxy, ...), installed with apt when missing.
2. Kubernetes (apiserver, controller-manager, scheduler, kubelet, kube-proxy, kubectl)
   into var/cluster/bin. `go install` refuses k8s.io/kubernetes (its go.mod replaces its
   staging modules with folders of its own repository), so the committed wrapper module
   go/kubernetes requires it and points each staging module at its published release; it
   is vendored into var/cluster/go/kubernetes, the kubelet patch applied to the vendored
   copy, and all six are built in one `go build`. Rebuilt only when a binary is missing or
   was built from another version (`go version -m`), or the stamp beside them (patch,
   wrapper, linker flags) differs. The Go build cache stays the user's, so a fresh clone
   on the same machine relinks instead of recompiling.
3. CoreDNS, the image registry and metrics-server, `go install`ed at their pins.
4. Images (podman, FROM scratch, one static binary each): the pod sandbox
   localhost/hearth/pause (go/pause: sleeps, reaps zombies, exits on SIGTERM; also saved
   as var/cluster/images/pause.tar, for each node's `ctr -n k8s.io images import`),
   CoreDNS and metrics-server. Rebuilt only when their binary changed.

Runs on the system python, standard library only; `build_all()` is what `make cluster`
calls.
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from devstack import images, tools
from devstack.cluster.topology import BIN, CLUSTER_DIR
from devstack.layout import ROOT
from devstack.shell import fail, install_debian_packages, run, say, step

IMAGE_ARCHIVES = CLUSTER_DIR / "images"
GO_SOURCES = Path(__file__).resolve().parent / "go"

DEBIAN_PACKAGES = (
    "containerd",
    "runc",
    "containernetworking-plugins",
    "etcd-server",
    "iptables",
    "conntrack",
    "socat",
    "ipset",
    "haproxy",  # the host's load balancer in front of the NodePorts
    "openssl",
    "patch",  # applies the kubelet patch
    "libcap2-bin",  # setcap, for FILE_CAPABILITIES
)

# 1.34, not newer: this host runs cgroup v1, which the kubelet refuses from 1.35 on.
KUBERNETES_VERSION = "v1.34.4"
KUBERNETES_MODULE = "k8s.io/kubernetes"
KUBERNETES_COMMANDS = (
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubelet",
    "kube-proxy",
    "kubectl",
)
WRAPPER = GO_SOURCES / "kubernetes"
WRAPPER_FILES = ("go.mod", "go.sum", "tools.go")
WRAPPER_MODULE = "hearth.local/cluster/kubernetes"
# The pinned release's own go.mod, kept beside the wrapper so the tests can hold the
# wrapper to it offline (its hash is in the wrapper's go.sum). Go ignores the file.
UPSTREAM_GO_MOD = WRAPPER / f"kubernetes-{KUBERNETES_VERSION}.go.mod"
# The kubelet refuses to start under protectKernelDefaults when the shared host's sysctls
# differ from its wishes, or rewrites them without it: the patch makes it only warn.
KUBELET_PATCH = WRAPPER / "kubelet-kernel-tunables.patch"
KUBERNETES_WORK = CLUSTER_DIR / "go" / "kubernetes"
KUBERNETES_STAMP = BIN / "kubernetes.stamp"

# binary -> (Go package, its module, pinned version, linker -X settings)
GO_PROGRAMS: dict[str, tuple[str, str, str, dict[str, str]]] = {
    "coredns": ("github.com/coredns/coredns", "github.com/coredns/coredns", "v1.15.0", {}),
    "registry": (
        "github.com/distribution/distribution/v3/cmd/registry",
        "github.com/distribution/distribution/v3",
        "v3.1.2",
        {"github.com/distribution/distribution/v3/version.version": "v3.1.2"},
    ),
    # The newest v0.8 (v0.9 is built against Kubernetes 1.36's client libraries); its
    # version lives in client-go's version package, as its Makefile sets it.
    "metrics-server": (
        "sigs.k8s.io/metrics-server/cmd/metrics-server",
        "sigs.k8s.io/metrics-server",
        "v0.8.0",
        {"k8s.io/client-go/pkg/version.gitVersion": "v0.8.0"},
    ),
}

PAUSE_SOURCE = GO_SOURCES / "pause"
PAUSE_IMAGE = f"{images.REGISTRY}/pause:3.10"
PAUSE_ARCHIVE = IMAGE_ARCHIVES / "pause.tar"
# image -> the binary in var/cluster/bin that is its entrypoint
IMAGES: dict[str, str] = {
    PAUSE_IMAGE: "pause",
    f"{images.REGISTRY}/coredns:{GO_PROGRAMS['coredns'][2].removeprefix('v')}": "coredns",
    f"{images.REGISTRY}/metrics-server:{GO_PROGRAMS['metrics-server'][2]}": "metrics-server",
}
# binary -> file capabilities it carries in its image. CoreDNS runs as a non-root user
# on port 53: capabilities the pod adds reach a non-root process only through the file
# (as in CoreDNS's own image); the layer keeps them as an xattr.
FILE_CAPABILITIES = {"coredns": "cap_net_bind_service=+ep"}
# What an image was built from (binary digest and capabilities), to skip a rebuild.
BINARY_LABEL = "org.hearth.binary"

STAGING_LINE = re.compile(r"^\s*(k8s\.io/[\w.-]+)\s+=>\s+\./staging/src/(\S+)\s*$", re.M)
REPLACE_LINE = re.compile(r"^\s*(\S+)\s+=>\s+(\S+)\s+(v\S+)\s*$", re.M)


# --- pure logic (devstack/tests/test_cluster_build.py) -------------------------------


def staging_modules(upstream_go_mod: str) -> list[str]:
    """The modules Kubernetes' go.mod replaces with its own staging folders."""
    found = STAGING_LINE.findall(upstream_go_mod)
    return sorted(module for module, folder in found if module == folder)


def staging_version(kubernetes_version: str) -> str:
    """Staging modules are published as v0.X.Y for Kubernetes v1.X.Y."""
    major, minor, patch = kubernetes_version.removeprefix("v").split(".")
    if major != "1":
        raise ValueError(f"unexpected Kubernetes version {kubernetes_version}")
    return f"v0.{minor}.{patch}"


def wrapper_replacements(wrapper_go_mod: str) -> dict[str, str]:
    """module -> version it is replaced with, from the wrapper's replace block."""
    return {
        module: version
        for module, target, version in REPLACE_LINE.findall(wrapper_go_mod)
        if module == target
    }


def wrapper_go_mod(upstream_go_mod: str, kubernetes_version: str) -> str:
    """The wrapper's go.mod before `go mod tidy` adds the indirect requirements."""
    header = re.search(r"^go (\S+)$", upstream_go_mod, re.M)
    if header is None:
        raise ValueError("the upstream go.mod has no go line")
    godebug = re.search(r"^godebug .+$", upstream_go_mod, re.M)
    replaced = staging_version(kubernetes_version)
    lines = [
        "// Hearth's wrapper around k8s.io/kubernetes: `go install` refuses that module because",
        "// its go.mod replaces its staging modules with folders of its own repository, so this",
        "// module requires it and points each staging module at its published release instead.",
        "// Written by `python3 devstack/cluster/build.py --update-wrapper`; do not edit by hand.",
        f"module {WRAPPER_MODULE}",
        "",
        f"go {header.group(1)}",
        "",
        # Its go.mod's godebug line applies only to the main module: carry it over.
        *([godebug.group(0), ""] if godebug else []),
        f"require {KUBERNETES_MODULE} {kubernetes_version}",
        "",
        "replace (",
        *(f"\t{module} => {module} {replaced}" for module in staging_modules(upstream_go_mod)),
        ")",
        "",
    ]
    return "\n".join(lines)


def kubernetes_stamp(version: str, patch: bytes, wrapper: bytes, ldflags: str) -> dict[str, str]:
    return {
        "version": version,
        "patch": hashlib.sha256(patch).hexdigest(),
        "wrapper": hashlib.sha256(wrapper).hexdigest(),
        "ldflags": ldflags,
    }


def kubernetes_stale(
    built_from: dict[str, str | None], stamp: str | None, expected: dict[str, str]
) -> str | None:
    """Why the Kubernetes binaries must be rebuilt, or None when they are current."""
    for name, version in built_from.items():
        if version != expected["version"]:
            return f"{name}: {version or 'missing'} -> {expected['version']}"
    try:
        recorded = json.loads(stamp) if stamp else {}
    except json.JSONDecodeError:
        recorded = {}
    if not isinstance(recorded, dict) or not recorded:
        return "no build stamp"
    changed = [key for key, value in expected.items() if recorded.get(key) != value]
    return f"changed since the last build: {', '.join(changed)}" if changed else None


def kubernetes_ldflags(version: str, build_date: str) -> str:
    """Strip symbols and stamp the version, as Kubernetes' own release builds do.

    Without the version the components call themselves v0.0.0-master, and the
    apiserver derives its emulation and compatibility versions from it. The tree is
    marked dirty: it carries the kubelet patch.
    """
    major, minor = version.removeprefix("v").split(".")[:2]
    values = {
        "gitVersion": version,
        "gitMajor": major,
        "gitMinor": minor,
        "gitTreeState": "dirty",
        "buildDate": build_date,
    }
    flags = ["-s", "-w"]
    for package in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        flags += [f"-X {package}.{key}={value}" for key, value in values.items()]
    return " ".join(flags)


def containerfile(binary: str) -> str:
    return f'FROM scratch\nCOPY {binary} /{binary}\nENTRYPOINT ["/{binary}"]\n'


# --- steps -----------------------------------------------------------------------------


def installed_packages(dpkg_query_output: str) -> set[str]:
    """Packages `dpkg-query -W -f '${Package} ${db:Status-Abbrev}\\n'` lists as installed."""
    lines = (line.split() for line in dpkg_query_output.splitlines())
    return {fields[0] for fields in lines if len(fields) == 2 and fields[1] == "ii"}


def install_cluster_packages() -> None:
    listed = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package} ${db:Status-Abbrev}\\n", *DEBIAN_PACKAGES],
        capture_output=True,
        text=True,
        check=False,
    )
    present = installed_packages(listed.stdout)
    missing = [package for package in DEBIAN_PACKAGES if package not in present]
    if not missing:
        say(f"installed: {', '.join(DEBIAN_PACKAGES)}")
        return
    install_debian_packages(missing)


def go_environment(**extra: str) -> dict[str, str]:
    # Static binaries: they run on the nodes and in FROM-scratch images.
    return {**os.environ, "CGO_ENABLED": "0", **extra}


def download(go: Path, module_at_version: str) -> dict:
    """`go mod download -json`: where the module cache keeps its files and info."""
    completed = run(
        [go, "mod", "download", "-json", module_at_version],
        stdout=subprocess.PIPE,
        env=go_environment(),
    )
    return json.loads(completed.stdout)


def build_kubernetes(go: Path) -> None:
    upstream = download(go, f"{KUBERNETES_MODULE}@{KUBERNETES_VERSION}")
    ldflags = kubernetes_ldflags(KUBERNETES_VERSION, upstream_release_time(upstream))
    wrapper = b"".join((WRAPPER / name).read_bytes() for name in WRAPPER_FILES)
    expected = kubernetes_stamp(KUBERNETES_VERSION, KUBELET_PATCH.read_bytes(), wrapper, ldflags)
    stamp = KUBERNETES_STAMP.read_text() if KUBERNETES_STAMP.exists() else None
    versions = {
        name: tools.built_version(BIN / name, KUBERNETES_MODULE) for name in KUBERNETES_COMMANDS
    }
    reason = kubernetes_stale(versions, stamp, expected)
    if reason is None:
        say(f"{', '.join(KUBERNETES_COMMANDS)}: {KUBERNETES_VERSION}, patched")
        return
    say(f"building: {reason}")
    check_wrapper(Path(upstream["GoMod"]).read_text())
    shutil.rmtree(KUBERNETES_WORK, ignore_errors=True)
    KUBERNETES_WORK.mkdir(parents=True)
    for name in WRAPPER_FILES:
        shutil.copy2(WRAPPER / name, KUBERNETES_WORK / name)
    run([go, "mod", "vendor"], cwd=KUBERNETES_WORK, env=go_environment())
    apply_kubelet_patch(KUBERNETES_WORK / "vendor" / KUBERNETES_MODULE)
    KUBERNETES_STAMP.unlink(missing_ok=True)
    BIN.mkdir(parents=True, exist_ok=True)
    say("compiling (6-10 minutes on 2 cores when the Go build cache is cold)")
    run(
        [
            *("nice", "-n", "10", go, "build", "-mod=vendor", "-trimpath", "-buildvcs=false"),
            f"-ldflags={ldflags}",
            *("-o", f"{BIN}/"),
            *(f"{KUBERNETES_MODULE}/cmd/{name}" for name in KUBERNETES_COMMANDS),
        ],
        cwd=KUBERNETES_WORK,
        env=go_environment(),
    )
    KUBERNETES_STAMP.write_text(json.dumps(expected, indent=2) + "\n")


def upstream_release_time(download_json: dict) -> str:
    """The release's publication time, as a deterministic build date."""
    info = json.loads(Path(download_json["Info"]).read_text())
    return info["Time"]


def check_wrapper(upstream_go_mod: str) -> None:
    expected = staging_version(KUBERNETES_VERSION)
    wanted = {module: expected for module in staging_modules(upstream_go_mod)}
    found = wrapper_replacements((WRAPPER / "go.mod").read_text())
    if found != wanted:
        raise fail(
            f"{WRAPPER.relative_to(ROOT)}/go.mod does not replace exactly the staging modules of "
            f"{KUBERNETES_MODULE} {KUBERNETES_VERSION} with {expected}; "
            "run: python3 devstack/cluster/build.py --update-wrapper"
        )


def apply_kubelet_patch(kubernetes_source: Path) -> None:
    command = ["patch", "-p1", "--forward", "--batch", "-d", kubernetes_source]
    checked = subprocess.run(
        [*map(str, command), "--dry-run", "-i", str(KUBELET_PATCH)],
        capture_output=True,
        text=True,
        check=False,
    )
    if checked.returncode != 0:
        raise fail(
            f"{KUBELET_PATCH.relative_to(ROOT)} no longer applies to {KUBERNETES_MODULE} "
            f"{KUBERNETES_VERSION}:\n{checked.stdout}{checked.stderr}"
        )
    run([*command, "-i", KUBELET_PATCH], quiet=True)


def install_go_programs(go: Path) -> None:
    BIN.mkdir(parents=True, exist_ok=True)
    for name, (package, module, version, settings) in GO_PROGRAMS.items():
        found = tools.built_version(BIN / name, module)
        if found == version:
            say(f"{name} {version}: installed")
            continue
        say(f"{name}: {found or 'missing'} -> {version}")
        started = time.monotonic()
        ldflags = " ".join(["-s", "-w", *(f"-X {key}={value}" for key, value in settings.items())])
        run(
            [
                *("nice", "-n", "10", go, "install", "-trimpath", f"-ldflags={ldflags}"),
                f"{package}@{version}",
            ],
            env=go_environment(GOBIN=str(BIN)),
        )
        say(f"{name} {version}: built in {time.monotonic() - started:.0f} s")


def build_pause(go: Path) -> None:
    # Always built: the build cache makes it instant, and -trimpath keeps it identical.
    run(
        [go, "build", "-trimpath", "-ldflags=-s -w", "-o", BIN / "pause", "."],
        cwd=PAUSE_SOURCE,
        env=go_environment(),
    )


def build_images() -> None:
    images.ensure_host()
    for reference, binary in IMAGES.items():
        build_scratch_image(reference, BIN / binary)
    save_archive(PAUSE_IMAGE, PAUSE_ARCHIVE)


def build_scratch_image(reference: str, binary: Path) -> None:
    capabilities = FILE_CAPABILITIES.get(binary.name)
    built_from = hashlib.sha256(binary.read_bytes()).hexdigest()
    built_from += f" {capabilities}" if capabilities else ""
    label = "{{index .Labels " + json.dumps(BINARY_LABEL) + "}}"
    if images.podman_output("image", "inspect", "--format", label, reference) == built_from:
        say(f"{reference}: present")
        return
    context = IMAGE_ARCHIVES / "context" / binary.name
    shutil.rmtree(context, ignore_errors=True)
    context.mkdir(parents=True)
    shutil.copy2(binary, context / binary.name)
    if capabilities:
        run(["setcap", capabilities, context / binary.name])
    (context / "Containerfile").write_text(containerfile(binary.name))
    run(
        [
            *("podman", "build", "--pull=never", "-t", reference),
            *("--label", f"{BINARY_LABEL}={built_from}"),
            context,
        ],
        quiet=True,
    )
    say(f"{reference}: built")


def save_archive(reference: str, archive: Path) -> None:
    """An OCI archive of the image, re-saved only when the image changed."""
    image_id = images.podman_output("image", "inspect", "--format", "{{.Id}}", reference)
    marker = archive.with_suffix(".id")
    if archive.exists() and marker.exists() and marker.read_text() == image_id:
        say(f"{archive.relative_to(ROOT)}: current")
        return
    archive.unlink(missing_ok=True)
    archive.parent.mkdir(parents=True, exist_ok=True)
    run(["podman", "save", "--format", "oci-archive", "-o", archive, reference], quiet=True)
    marker.write_text(image_id)


# --- the command ---------------------------------------------------------------------


def timed(timings: list[tuple[str, float]], title: str, action: Callable[[], None]) -> None:
    step(title)
    started = time.monotonic()
    action()
    timings.append((title, time.monotonic() - started))


def summary(timings: list[tuple[str, float]]) -> str:
    binaries = [*KUBERNETES_COMMANDS, *GO_PROGRAMS, "pause"]
    lines = ["binaries in var/cluster/bin:"]
    lines += [f"  {name:<24}{(BIN / name).stat().st_size / 1e6:>8.1f} MB" for name in binaries]
    lines.append(f"  {PAUSE_ARCHIVE.name:<24}{PAUSE_ARCHIVE.stat().st_size / 1e6:>8.1f} MB")
    lines.append("steps:")
    lines += [f"  {title:<44}{seconds:>7.1f} s" for title, seconds in timings]
    lines.append(f"  {'total':<44}{sum(seconds for _, seconds in timings):>7.1f} s")
    return "\n".join(lines)


def build_all() -> None:
    """Everything the cluster needs, built or installed when missing or stale."""
    timings: list[tuple[str, float]] = []
    timed(timings, "Debian packages of the cluster", install_cluster_packages)
    go = tools.go_binary()
    timed(
        timings,
        f"Kubernetes {KUBERNETES_VERSION} into var/cluster/bin",
        lambda: build_kubernetes(go),
    )
    timed(timings, "CoreDNS, registry, metrics-server", lambda: install_go_programs(go))
    timed(timings, "pause program", lambda: build_pause(go))
    timed(timings, "images: pause, CoreDNS, metrics-server", build_images)
    print(summary(timings), flush=True)


def update_wrapper() -> None:
    """Rewrite the wrapper's go.mod for KUBERNETES_VERSION, then tidy it (go.sum too)."""
    go = tools.go_binary()
    step(f"wrapper module for {KUBERNETES_MODULE} {KUBERNETES_VERSION}")
    upstream = download(go, f"{KUBERNETES_MODULE}@{KUBERNETES_VERSION}")
    upstream_text = Path(upstream["GoMod"]).read_text()
    for old in WRAPPER.glob("kubernetes-*.go.mod"):
        old.unlink()
    UPSTREAM_GO_MOD.write_text(upstream_text)
    (WRAPPER / "go.mod").write_text(wrapper_go_mod(upstream_text, KUBERNETES_VERSION))
    run([go, "mod", "tidy"], cwd=WRAPPER, env=go_environment())


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--update-wrapper",
        action="store_true",
        help="rewrite go/kubernetes/go.mod from the pinned release's go.mod, then tidy",
    )
    options = parser.parse_args(argv)
    if options.update_wrapper:
        update_wrapper()
    else:
        build_all()


if __name__ == "__main__":
    main(sys.argv[1:])
