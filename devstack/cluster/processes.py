"""The cluster's host processes: started detached with a PID file and a log, placed in a
cgroup (so a node's whole process tree can be found and killed by PID), stopped by PID.

Nothing is ever found or killed by name: a PID file names the process, and the node's
cgroups list every process it started (containerd's shims and the containers too).
"""

import os
import signal
import subprocess
import time
from pathlib import Path

from devstack.cluster.topology import CGROUP_ROOT, LOGS, PIDS
from devstack.shell import fail, say


def hierarchies() -> list[Path]:
    """The mounted cgroup v1 hierarchies (cpu, memory, pids, the named systemd one …)."""
    return sorted(
        path for path in CGROUP_ROOT.iterdir() if path.is_dir() and path.name != "unified"
    )


def make_cgroup(relative: str) -> None:
    """Create the cgroup in every hierarchy; cpuset needs its CPUs and memory nodes
    copied down from the parent before it can hold a process."""
    for hierarchy in hierarchies():
        current = hierarchy
        for part in relative.strip("/").split("/"):
            parent, current = current, current / part
            if not current.exists():
                current.mkdir()
            if hierarchy.name == "cpuset":
                for setting in ("cpuset.cpus", "cpuset.mems"):
                    if not (current / setting).read_text().strip():
                        (current / setting).write_text((parent / setting).read_text())


def cgroup_processes(relative: str) -> set[int]:
    """Every PID in the cgroup or below it (the pids hierarchy sees them all)."""
    base = CGROUP_ROOT / "pids" / relative.strip("/")
    found: set[int] = set()
    if base.exists():
        for procs in base.rglob("cgroup.procs"):
            try:
                found.update(int(line) for line in procs.read_text().split())
            except OSError:  # the cgroup went away while we walked
                continue
    return found


def remove_cgroup(relative: str) -> None:
    """Remove the cgroup and everything below it, deepest first (empty ones only)."""
    for hierarchy in hierarchies():
        base = hierarchy / relative.strip("/")
        if not base.exists():
            continue
        for directory in sorted(
            (p for p in base.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)
        ):
            directory.rmdir()
        base.rmdir()


def kill_cgroup(relative: str, timeout: float = 10) -> int:
    """SIGKILL every process of the cgroup until none is left (a dying parent may fork)."""
    killed = 0
    deadline = time.monotonic() + timeout
    while pids := cgroup_processes(relative):
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        if time.monotonic() > deadline:
            raise fail(f"processes {sorted(pids)} of cgroup {relative} would not die")
        time.sleep(0.1)
    return killed


def pid_file(name: str) -> Path:
    return PIDS / f"{name}.pid"


def running_pid(name: str) -> int | None:
    path = pid_file(name)
    if not path.exists():
        return None
    pid = int(path.read_text())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    # A PID is reused after a reboot or a long time: it must still be our command.
    try:
        started = (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")[0]
    except OSError:
        return None
    expected = path.with_suffix(".cmd")
    if expected.exists() and started.decode(errors="replace") != expected.read_text():
        return None
    return pid


def start(
    name: str,
    command: list,
    *,
    netns: str | None = None,
    cgroup: str | None = None,
) -> int:
    """Start `command` detached unless it already runs; returns its PID.

    In a node's network namespace through nsenter, which execs the command (the PID is
    the daemon's own) and keeps the host's mount namespace, which the kubelet and
    containerd must share.
    """
    pid = running_pid(name)
    if pid:
        return pid
    PIDS.mkdir(parents=True, exist_ok=True)
    LOGS.mkdir(parents=True, exist_ok=True)
    argv = [str(part) for part in command]
    if netns:
        argv = ["nsenter", f"--net=/run/netns/{netns}", "--", *argv]
    if cgroup:
        make_cgroup(cgroup)

    log = (LOGS / f"{name}.log").open("ab")
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    if cgroup:
        # Moved at once, before the daemon has had a reason to fork: its later children
        # (containerd's shims, the containers) are born in the node's cgroups.
        for hierarchy in hierarchies():
            (hierarchy / cgroup.strip("/") / "cgroup.procs").write_text(str(process.pid))
    pid_file(name).write_text(str(process.pid))
    pid_file(name).with_suffix(".cmd").write_text(str(command[0]))
    say(f"started {name} (pid {process.pid}, log {LOGS / f'{name}.log'})")
    return process.pid


def stop(name: str, timeout: float = 60) -> None:
    """SIGTERM, then SIGKILL after `timeout`; waits until the PID is gone (the API
    server can take most of a minute to exit, and its port must be free again)."""
    pid = running_pid(name)
    if pid:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while running_pid(name):
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.2)
    forget(name)


def forget(name: str) -> None:
    """Drop the PID file of a process that is gone (stopped, or killed with its node)."""
    pid_file(name).unlink(missing_ok=True)
    pid_file(name).with_suffix(".cmd").unlink(missing_ok=True)


def wait_for(description: str, check, timeout: float = 120, interval: float = 1) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise fail(f"timed out after {timeout:.0f} s waiting for {description}")
        time.sleep(interval)
