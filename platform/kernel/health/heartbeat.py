"""The liveness signal of the processes that serve no port: the outbox relay and the
event consumers.

Each loop touches its own file in HEARTH_HEARTBEAT_DIR on every turn. The pod's
liveness probe runs this module, which fails when any file there is older than
allowed, so Kubernetes restarts a loop that hung (a handler stuck on a call, a
flush that never returns) instead of leaving it holding its partitions or the
relay's lock. A loop that waits on purpose (a standby relay, a consumer waiting
for its database) still beats: restarting it would not help. Unset (the local
stack), nothing is written.

    python -m kernel.health.heartbeat DIR MAX_AGE_SECONDS
"""

import os
import sys
import time
from pathlib import Path

HEARTBEAT_DIR_ENV = "HEARTH_HEARTBEAT_DIR"
USAGE = "usage: python -m kernel.health.heartbeat DIR MAX_AGE_SECONDS"


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


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write(f"{USAGE}\n")
        return 2
    directory, max_age = Path(argv[0]), float(argv[1])
    stale = stale_loops(directory, max_age)
    if stale is None:
        sys.stderr.write(f"no heartbeat in {directory} yet\n")
        return 1
    if stale:
        sys.stderr.write(f"no beat for over {max_age:.0f} s: {', '.join(stale)}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
