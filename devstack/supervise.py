"""Driving supervisord: start it and its programs, wait for health, and stop it all
leaving no process behind."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from devstack.layout import SUPERVISOR_CONF, SUPERVISOR_PIDFILE, VENV_BIN
from devstack.programs import Program, accepts_connections, healthy, service_environment
from devstack.shell import fail, say, step, tail

# States in which supervisord is already looking after a program.
MANAGED_STATES = ("RUNNING", "STARTING", "BACKOFF")
# States a program does not leave by itself; EXITED is not one, autorestart follows.
GIVEN_UP_STATES = ("FATAL", "STOPPED")
CRASH_LOOP_RESTARTS = 3


def supervisorctl(*arguments: str) -> subprocess.CompletedProcess:
    command = [VENV_BIN / "supervisorctl", "-c", SUPERVISOR_CONF, *arguments]
    return subprocess.run(command, capture_output=True, text=True, check=False)


# --- the daemon -----------------------------------------------------------------


def recorded_pid() -> int | None:
    try:
        return int(SUPERVISOR_PIDFILE.read_text())
    except (FileNotFoundError, ValueError):
        return None


def is_our_supervisord(pid: int) -> bool:
    try:
        command_line = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"supervisord" in command_line and bytes(SUPERVISOR_CONF) in command_line


def is_alive(pid: int) -> bool:
    """True for a live process; a zombie has exited, whether or not it was reaped yet."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def daemon_pid() -> int | None:
    """The pid of this stack's supervisord if it is running."""
    pid = recorded_pid()
    return pid if pid and is_our_supervisord(pid) else None


def ensure_daemon() -> None:
    """Start supervisord, or have a running one pick up a changed config."""
    if daemon_pid():
        # Re-reads the config; restarts only the groups whose programs changed.
        for line in supervisorctl("update").stdout.splitlines():
            say(f"config changed: {line}")
        return
    step("starting supervisord")
    command = [VENV_BIN / "supervisord", "-c", SUPERVISOR_CONF]
    started = subprocess.run(
        command, capture_output=True, text=True, env=service_environment(), check=False
    )
    if started.returncode != 0:
        raise fail(f"supervisord did not start:\n{started.stdout}{started.stderr}")
    # The command returns once it has forked; the daemon opens its socket just after.
    deadline = time.monotonic() + 15
    while supervisorctl("pid").returncode != 0:
        if time.monotonic() > deadline:
            raise fail("supervisord started but does not answer on its socket")
        time.sleep(0.2)


def states() -> dict[str, tuple[str, str]]:
    """Each program's (state, details such as pid and uptime), by group:name."""
    if not daemon_pid():
        return {}
    result = {}
    for line in supervisorctl("status").stdout.splitlines():
        name, state, *details = line.split(maxsplit=2)
        result[name] = (state, details[0] if details else "")
    return result


def state_of(program: Program, current: dict[str, tuple[str, str]]) -> str:
    return current.get(program.qualified_name, ("-", ""))[0]


def start(programs: list[Program]) -> None:
    current = states()
    to_start = [p for p in programs if state_of(p, current) not in MANAGED_STATES]
    if not to_start:
        return
    check_ports_free(to_start)
    step(f"starting {', '.join(p.name for p in to_start)}")
    # `start group:*` starts a group's stopped programs together, skipping running ones.
    groups = sorted({p.group for p in to_start})
    output = supervisorctl("start", *(f"{group}:*" for group in groups)).stdout
    for line in output.splitlines():
        if "ERROR" in line:
            say(line)


def check_ports_free(programs: list[Program]) -> None:
    for program in programs:
        for port in program.ports:
            if accepts_connections(port):
                raise fail(
                    f"port {port}, which {program.name} needs, is taken by a process this stack "
                    f"did not start; find it with `ss -ltnp 'sport = :{port}'`"
                )


# --- waiting ------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One thing to wait for, and the program whose log explains a failure."""

    label: str
    program: Program
    probe: Callable[[], bool] | None  # None: the program running is enough

    def passes(self, current: dict[str, tuple[str, str]]) -> bool:
        running = state_of(self.program, current) == "RUNNING"
        return running and (self.probe is None or healthy(self.probe))


def program_checks(programs: list[Program]) -> list[Check]:
    return [Check(p.name, p, p.probe) for p in programs]


class Progress:
    """One status line: rewritten in place on a terminal, printed every 10 s elsewhere (CI)."""

    def __init__(self) -> None:
        self.interactive = sys.stdout.isatty()
        self.last_printed = 0.0

    def update(self, text: str) -> None:
        if self.interactive:
            print(f"\r    {text}\033[K", end="", flush=True)
        elif time.monotonic() - self.last_printed >= 10:
            say(text)
            self.last_printed = time.monotonic()

    def note(self, text: str) -> None:
        if self.interactive:
            print("\r\033[K", end="")
        say(text)


def wait_until_healthy(checks: list[Check], timeout: float) -> None:
    """Wait for every check, or fail showing the log of what did not come up."""
    started = time.monotonic()
    pending = list(checks)
    pids_seen: dict[str, set[str]] = defaultdict(set)
    progress = Progress()
    while True:
        current = states()
        elapsed = time.monotonic() - started
        for check in [c for c in pending if c.passes(current)]:
            pending.remove(check)
            progress.note(f"{check.label} is up ({elapsed:.0f}s)")
        if not pending:
            return
        for check in pending:
            pids_seen[check.program.name].add(pid_of(check.program, current))
        failing = [c for c in pending if is_failing(c.program, current, pids_seen)]
        if failing:
            report_failures(failing, current, progress, "keeps failing")
        if elapsed > timeout:
            report_failures(pending, current, progress, f"did not become healthy in {timeout:.0f}s")
        progress.update(f"waiting for {', '.join(c.label for c in pending)} ... {elapsed:.0f}s")
        time.sleep(1)


def pid_of(program: Program, current: dict[str, tuple[str, str]]) -> str:
    details = current.get(program.qualified_name, ("", ""))[1]  # "pid 123, uptime 0:00:05"
    return details.split(",")[0] if details.startswith("pid ") else ""


def is_failing(program: Program, current: dict, pids_seen: dict[str, set[str]]) -> bool:
    # supervisord gives up (FATAL) only on crashes within startsecs; a program that
    # dies later is restarted forever, which shows as ever new pids.
    restarts = len(pids_seen[program.name] - {""}) - 1
    return state_of(program, current) in GIVEN_UP_STATES or restarts >= CRASH_LOOP_RESTARTS


def report_failures(checks: list[Check], current: dict, progress: Progress, problem: str) -> None:
    progress.note("")
    for check in checks:
        log = check.program.log
        state = state_of(check.program, current)
        print(f"\n--- {check.label} (state {state}); end of {log}:", flush=True)
        print(tail(log), flush=True)
    names = ", ".join(c.label for c in checks)
    raise fail(
        f"{names} {problem}; the stack is left running for a look "
        "(`python3 devstack/stack.py status`, then `down`)"
    )


# --- stopping -----------------------------------------------------------------


def session_of_last_daemon() -> int | None:
    """The session id shared by every process the last supervisord started.

    supervisord makes itself a session leader and its programs never leave that
    session (they only make process groups), so even an orphan of a crashed
    supervisord is found by it. While any member lives, Linux cannot give the
    leader's pid to a new process: if that pid is alive and is not our
    supervisord, nothing of ours is left in the session.
    """
    pid = recorded_pid()
    if pid is None:
        return None
    if is_our_supervisord(pid) or not is_alive(pid):
        return pid
    return None


def session_members(session: int) -> dict[int, str]:
    """Live (non-zombie) processes of a session: pid -> command line (never empty)."""
    members = {}
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        pid = int(stat_file.parent.name)
        try:
            # Fields after the ")" closing the command name: state, ppid, pgrp, session, ...
            state, _ppid, _pgrp, sid = stat_file.read_text().rsplit(")", 1)[1].split()[:4]
            command_line = (stat_file.parent / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue  # exited while we looked
        if int(sid) == session and state != "Z" and pid != os.getpid():
            command = command_line.replace(b"\0", b" ").decode(errors="replace").strip()
            members[pid] = command or f"pid {pid}"
    return members


def shutdown(timeout: float = 180) -> None:
    session = session_of_last_daemon()
    pid = daemon_pid()
    if pid:
        step("stopping every program, then supervisord")
        supervisorctl("shutdown")
        wait_for_exit(pid, timeout)
    else:
        say("supervisord is not running")
    if session:
        kill_leftovers(session)
    SUPERVISOR_PIDFILE.unlink(missing_ok=True)


def wait_for_exit(pid: int, timeout: float) -> None:
    started = time.monotonic()
    progress = Progress()
    while is_alive(pid):
        elapsed = time.monotonic() - started
        if elapsed > timeout:
            progress.note(f"supervisord still runs after {timeout:.0f}s; killing its session")
            return
        progress.update(f"waiting for supervisord to stop its programs ... {elapsed:.0f}s")
        time.sleep(0.5)
    progress.note(f"supervisord and its programs stopped in {time.monotonic() - started:.0f}s")


def kill_leftovers(session: int) -> None:
    leftovers = session_members(session)
    for signal_number, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        if not leftovers:
            return
        programs = sorted(
            {Path(command.split()[0]).name.rstrip(":") for command in leftovers.values()}
        )
        say(f"{signal_number.name} to {len(leftovers)} leftover processes ({', '.join(programs)})")
        for pid in leftovers:
            with contextlib.suppress(ProcessLookupError):  # it exited meanwhile
                os.kill(pid, signal_number)
        deadline = time.monotonic() + grace
        while leftovers and time.monotonic() < deadline:
            time.sleep(0.2)
            leftovers = session_members(session)
    if leftovers:
        raise fail(f"processes survived SIGKILL: {sorted(leftovers)}")
