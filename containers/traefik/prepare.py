"""Build Traefik's binary on the host with Go, into the image's build context.

    python3 containers/traefik/prepare.py <context dir>    (run by devstack/images.py)

`go install` of Traefik is refused (its go.mod has replace directives), so go.mod
here is a wrapper module that requires it and repeats them. The binary is kept
under var/images/traefik/ with the digest of go.mod and go.sum: it is rebuilt
(about 5 minutes on 2 cores) only when they change.
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


def module_digest() -> str:
    return hashlib.sha256(
        (HERE / "go.mod").read_bytes() + (HERE / "go.sum").read_bytes()
    ).hexdigest()


def build() -> None:
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    sys.stdout.write("    go build traefik (about 5 minutes when not cached)\n")
    sys.stdout.flush()
    # Static, stripped, without the build's paths: the image needs no libc of a version.
    environment = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod -buildvcs=false"}
    command = ["nice", "-n", "10", GO, "build", "-trimpath", "-ldflags=-s -w"]
    command += ["-o", str(BINARY), "github.com/traefik/traefik/v3/cmd/traefik"]
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
