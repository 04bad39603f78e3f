"""SIGTERM and SIGINT set an event instead of killing the process, so a long-running
command finishes what it is doing and exits cleanly (Kubernetes sends SIGTERM
before it kills a pod)."""

import signal
import threading


def stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop
