"""Printing and running commands the same way everywhere in the local stack."""

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from devstack.layout import ROOT

# Debian keeps daemons in /usr/sbin, which is not on a normal user's PATH.
_SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def say(message: str) -> None:
    print(f"    {message}", flush=True)


def fail(message: str) -> SystemExit:
    """An error for the user: `raise fail(...)` ends the command with status 1."""
    print(f"error: {message}", file=sys.stderr, flush=True)
    return SystemExit(1)


def shown(command: list) -> str:
    """A command as typed from the repo root: shorter and copy-pasteable."""
    return shlex.join(str(part).replace(f"{ROOT}/", "") for part in command)


def run(command: list, quiet: bool = False, **kwargs) -> subprocess.CompletedProcess:
    """Run a command that must succeed, echoing it first.

    `quiet` holds its output back, showing it only if the command fails.
    """
    say(f"$ {shown(command)}")
    if quiet:
        kwargs.update(stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    completed = subprocess.run([str(part) for part in command], check=False, **kwargs)
    if completed.returncode != 0:
        if quiet:
            print(completed.stdout.decode(errors="replace"), flush=True)
        raise fail(f"`{shown(command)}` exited with status {completed.returncode}")
    return completed


def install_debian_packages(packages: list[str]) -> None:
    """apt-get install what is missing (as root), waiting for dpkg's lock when another
    install on the machine (make up, make images, make cluster) holds it."""
    if not packages:
        return
    if os.geteuid() != 0:
        raise fail(f"missing Debian packages; run: sudo apt-get install {' '.join(packages)}")
    step(f"installing Debian packages: {' '.join(packages)}")
    wait = ("-o", "DPkg::Lock::Timeout=300")
    run(["apt-get", *wait, "update"], quiet=True)
    run(
        ["apt-get", *wait, "install", "-y", "--no-install-recommends", *packages],
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )


def find_program(name: str) -> Path | None:
    found = shutil.which(name, path=_SEARCH_PATH)
    return Path(found) if found else None


def tail(path: Path, lines: int = 40) -> str:
    """The end of a log, read from its last 64 KiB: logs can be large."""
    if not path.exists():
        return f"({path} does not exist)"
    with path.open("rb") as file:
        file.seek(max(0, path.stat().st_size - 65536))
        return b"\n".join(file.read().splitlines()[-lines:]).decode(errors="replace")
