"""The event being handled, so events published by its handler name it as their
cause and carry its correlation id on."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from kernel.events.envelope import Envelope

_handling: ContextVar[Envelope | None] = ContextVar("handling_event", default=None)


def current_causation() -> Envelope | None:
    return _handling.get()


@contextmanager
def handling(envelope: Envelope) -> Iterator[None]:
    token = _handling.set(envelope)
    try:
        yield
    finally:
        _handling.reset(token)
