"""The liveness signal of the processes that serve no API: the outbox relay and the
event consumers.

Each loop touches its own file in HEARTH_HEARTBEAT_DIR on every turn. The process's
metrics server answers `/healthz?max_age=SECONDS` from those files
(kernel.observability.metrics), and the pod's liveness probe asks it, so Kubernetes
restarts a loop that hung (a handler stuck on a call, a flush that never returns)
instead of leaving it holding its partitions or the relay's lock. A loop that waits on
purpose (a standby relay, a consumer waiting for its database) still beats: restarting
it would not help. The answer comes from a thread of the running process: an exec
probe started a Python interpreter per check, which on a saturated node outlived its
timeout, so the kubelet restarted healthy loops and added their start-up to the load.
Unset (the local stack), nothing is written.
"""

import os
import time
from pathlib import Path

HEARTBEAT_DIR_ENV = "HEARTH_HEARTBEAT_DIR"


class Heartbeat:
    """One loop's file, touched at most every `every_seconds` (a stat call per turn
    of a busy loop would cost more than it tells)."""

    def __init__(self, name: str, *, every_seconds: float = 1.0) -> None:
        directory = os.environ.get(HEARTBEAT_DIR_ENV, "")
        self.path = Path(directory) / name if directory else None
        self.every_seconds = every_seconds
        self._last = float("-inf")

    def beat(self) -> None:
        if self.path is None:
            return
        now = time.monotonic()
        if now - self._last >= self.every_seconds:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.touch()
            self._last = now


def stale_loops(directory: Path, max_age_seconds: float) -> list[str] | None:
    """The loops whose last beat is older than allowed; None when none has beaten yet."""
    beats = list(directory.iterdir()) if directory.is_dir() else []
    if not beats:
        return None
    now = time.time()
    return sorted(b.name for b in beats if now - b.stat().st_mtime > max_age_seconds)


def health(max_age_seconds: float) -> tuple[bool, str]:
    """Whether every loop of this process beat within the limit, and why not."""
    directory = Path(os.environ.get(HEARTBEAT_DIR_ENV, ""))
    stale = stale_loops(directory, max_age_seconds) if directory.name else None
    if stale is None:
        return False, f"no heartbeat in {directory} yet"
    if stale:
        return False, f"no beat for over {max_age_seconds:.0f} s: {', '.join(stale)}"
    return True, "ok"
