"""Per-request context carried through logs and outgoing calls.

A contextvar rather than a thread-local: it is correct under gunicorn's threads,
Celery's workers and asyncio alike.
"""

import re
import uuid
from contextvars import ContextVar

REQUEST_ID_HEADER = "X-Request-ID"
_ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept_request_id(candidate: str | None) -> str:
    """Keep the caller's id so one id follows a request across services; replace it
    when absent or unsafe to log (too long, or characters that could forge log lines)."""
    if candidate and _ACCEPTABLE_REQUEST_ID.match(candidate):
        return candidate
    return new_request_id()
