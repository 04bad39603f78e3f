"""Install the deploy tools (helm, conftest, actionlint) into var/tools/bin.

Each tool is a pinned `go install`, built from the Go module proxy: no release
binaries are downloaded. The binaries land in var/tools/bin (GOBIN); the Go
module and build caches stay in the user's Go cache, so a fresh clone on the
same machine relinks in seconds instead of rebuilding. A tool is rebuilt only
when its binary is missing or was built from another version than the pin
(read from the binary's own build information, `go version -m`).

The tools need Go >= 1.24; Debian 12 ships 1.19. Without a new enough Go on the
machine, Debian's is installed and fetches the pinned Go distribution as the module
golang.org/toolchain (what GOTOOLCHAIN downloads), again from the Go module proxy,
into var/tools/go.

    python devstack/tools.py        # install what is missing
    python devstack/tools.py --check  # exit 1 if any tool is missing or stale
"""

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devstack.shell import fail, find_program, install_debian_packages, run, say, step  # noqa: E402

TOOLS_BIN = ROOT / "var" / "tools" / "bin"
# The Go that builds them when the machine has none new enough.
GO_ROOT = ROOT / "var" / "tools" / "go"
GO_VERSION = "1.26.8"
MINIMUM_GO = (1, 24)

# binary -> (Go package to install, its module, pinned version)
TOOLS: dict[str, tuple[str, str, str]] = {
    "helm": ("helm.sh/helm/v3/cmd/helm", "helm.sh/helm/v3", "v3.22.0"),
    "conftest": (
        "github.com/open-policy-agent/conftest",
        "github.com/open-policy-agent/conftest",
        "v0.71.1",
    ),
    "actionlint": (
        "github.com/rhysd/actionlint/cmd/actionlint",
        "github.com/rhysd/actionlint",
        "v1.7.12",
    ),
}
# Servers of the local stack built the same way (`make up` installs them, not `make tools`).
STACK_TOOLS: dict[str, tuple[str, str, str]] = {
    # Stripe's own API mock, the payments provider's sandbox (devstack/programs.py).
    "stripe-mock": ("github.com/stripe/stripe-mock", "github.com/stripe/stripe-mock", "v0.203.0"),
}


def tool_path(name: str) -> Path:
    return TOOLS_BIN / name


def go_release(go: Path) -> tuple[int, ...]:
    """(1, 26) for Go 1.26.8; () when it does not run."""
    completed = subprocess.run(
        [str(go), "env", "GOVERSION"], capture_output=True, text=True, check=False
    )
    numbers = completed.stdout.strip().removeprefix("go").split(".")[:2]
    return tuple(int(n) for n in numbers if n.isdigit()) if completed.returncode == 0 else ()


def go_binary() -> Path:
    # /usr/local/go is where the official Go distribution unpacks; it is often not on PATH.
    for candidate in (find_program("go"), Path("/usr/local/go/bin/go"), GO_ROOT / "bin" / "go"):
        if candidate and candidate.exists() and go_release(candidate) >= MINIMUM_GO:
            return candidate
    return bootstrap_go()


def bootstrap_go() -> Path:
    old_go = find_program("go")
    if old_go is None:
        # Debian's Go, only to fetch a newer one.
        install_debian_packages(["golang-go"])
        old_go = find_program("go")
    arch = {"x86_64": "amd64", "aarch64": "arm64"}[platform.machine()]
    module = f"golang.org/toolchain@v0.0.1-go{GO_VERSION}.linux-{arch}"
    step(f"Go {GO_VERSION} into {GO_ROOT} (the module {module})")
    with tempfile.TemporaryDirectory() as cache:
        environment = {**os.environ, "GOMODCACHE": cache, "GOFLAGS": "-modcacherw"}
        completed = run(
            [old_go, "mod", "download", "-json", module],
            env=environment,
            stdout=subprocess.PIPE,
        )
        shutil.rmtree(GO_ROOT, ignore_errors=True)
        shutil.move(json.loads(completed.stdout)["Dir"], GO_ROOT)
    # A module zip keeps no executable bits: give them back to the programs.
    for program in [*GO_ROOT.glob("bin/*"), *GO_ROOT.glob("pkg/tool/*/*")]:
        program.chmod(0o755)
    return GO_ROOT / "bin" / "go"


def built_version(binary: Path, module: str) -> str | None:
    """The version of `module` the binary was built from, or None if unknown."""
    if not binary.exists():
        return None
    completed = subprocess.run(
        [str(go_binary()), "version", "-m", str(binary)],
        capture_output=True,
        text=True,
        check=False,
    )
    for line in completed.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[0] == "mod" and fields[1] == module:
            return fields[2]
    return None


def stale_tools() -> list[str]:
    return [
        name
        for name, (_, module, version) in TOOLS.items()
        if built_version(tool_path(name), module) != version
    ]


def install(
    tools: dict[str, tuple[str, str, str]] = TOOLS,
    title: str = "Deploy tools (helm, conftest, actionlint)",
) -> None:
    step(f"{title} in var/tools/bin")
    TOOLS_BIN.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, "GOBIN": str(TOOLS_BIN), "CGO_ENABLED": "0"}
    for name, (package, module, version) in tools.items():
        found = built_version(tool_path(name), module)
        if found == version:
            say(f"{name} {version}: installed")
            continue
        say(f"{name}: {found or 'missing'} -> {version} (a cold build takes minutes)")
        started = time.monotonic()
        run(["nice", "-n", "10", go_binary(), "install", f"{package}@{version}"], env=environment)
        say(f"{name} {version}: built in {time.monotonic() - started:.0f} s")


def main(arguments: list[str]) -> None:
    if arguments == ["--check"]:
        stale = stale_tools()
        if stale:
            raise fail(f"deploy tools missing or stale: {', '.join(stale)} (run `make tools`)")
        return
    if arguments:
        raise fail("usage: python devstack/tools.py [--check]")
    install()


if __name__ == "__main__":
    main(sys.argv[1:])
