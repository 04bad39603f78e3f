"""Build Traefik's binary on the host with Go, into the image's build context.

    python3 containers/traefik/prepare.py <context dir>    (run by devstack/images.py)

`go install` of Traefik is refused (its go.mod has replace directives), so go.mod
here is a wrapper module that requires it and repeats them. The binary is kept
under var/images/traefik/ with the digest of go.mod, go.sum and the linker flags: it
is rebuilt (5 minutes on 2 idle cores, over 20 on a busy machine) only when they
change; Go's build cache makes a rebuild for new flags alone a relink.
"""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
BUILD_DIR = ROOT / "var" / "images" / "traefik"
BINARY = BUILD_DIR / "traefik"
STAMP = BUILD_DIR / "traefik.sha256"
GO = shutil.which("go") or "/usr/local/go/bin/go"
MODULE = "github.com/traefik/traefik/v3"


def traefik_version() -> str:
    """The version go.mod requires: what `traefik version` reports, as upstream's builds do."""
    for line in (HERE / "go.mod").read_text().splitlines():
        words = line.split()
        words = words[1:] if words[:1] == ["require"] else words
        if words[:1] == [MODULE]:
            return words[1]
    raise SystemExit(f"go.mod requires no {MODULE}")


def linker_flags() -> str:
    return f"-s -w -X {MODULE}/pkg/version.Version={traefik_version()}"


def module_digest() -> str:
    sources = (HERE / "go.mod").read_bytes() + (HERE / "go.sum").read_bytes()
    return hashlib.sha256(sources + linker_flags().encode()).hexdigest()


def build() -> None:
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    sys.stdout.write("    go build traefik (minutes; more while Go's build cache is cold)\n")
    sys.stdout.flush()
    # Static, stripped, without the build's paths: the image needs no libc of a version.
    environment = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod -buildvcs=false"}
    command = ["nice", "-n", "10", GO, "build", "-trimpath", f"-ldflags={linker_flags()}"]
    command += ["-o", str(BINARY), f"{MODULE}/cmd/traefik"]
    subprocess.run(command, cwd=HERE, env=environment, check=True)  # noqa: S603 - fixed
    STAMP.write_text(module_digest())


def main(context: Path) -> None:
    if not (BINARY.exists() and STAMP.exists() and STAMP.read_text() == module_digest()):
        build()
    target = context / "traefik"
    if not target.exists() or target.stat().st_mtime < BINARY.stat().st_mtime:
        shutil.copy2(BINARY, target)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
