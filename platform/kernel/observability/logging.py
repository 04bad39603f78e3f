"""JSON logs on stdout: one object per line with timestamp, level, service, request
id and, inside a traced span, its trace_id and span_id (the ids Zipkin shows), ready
for any log shipper. Django-free so gunicorn can use it too."""

import logging
import re
import time
from typing import Any

from kernel.observability.context import request_id_var
from kernel.observability.tracing import ids_of_current_span


class ContextFilter(logging.Filter):
    """Stamps every record with the deployable's name, the current request id and
    the current span's ids."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.request_id = request_id_var.get()
        if not hasattr(record, "trace_id"):  # unless the line names its span (the access line)
            record.trace_id, record.span_id = ids_of_current_span()
        return True


class RepeatFilter(logging.Filter):
    """Lets one line of each kind through per interval.

    librdkafka logs every failed reconnect of every client: while a broker is
    down that is hundreds of identical lines a minute, which bury everything
    else. Lines that differ only in numbers (timings, counters) are one kind.
    """

    _NUMBERS = re.compile(r"\d+")

    def __init__(self, interval_seconds: float = 30.0) -> None:
        super().__init__()
        self.interval_seconds = interval_seconds
        self._last_seen: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        kind = self._NUMBERS.sub("#", f"{record.levelno}{record.getMessage()}")
        now = time.monotonic()
        if now - self._last_seen.get(kind, -self.interval_seconds) < self.interval_seconds:
            return False
        self._last_seen[kind] = now
        return True


def logging_config(*, service: str, level: str = "INFO") -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": ContextFilter, "service": service},
            "repeats": {"()": RepeatFilter},
        },
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(request_id)s "
                "%(trace_id)s %(span_id)s",
                "rename_fields": {"asctime": "timestamp", "levelname": "level", "name": "logger"},
                "datefmt": "%Y-%m-%dT%H:%M:%S%z",
            }
        },
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "json",
                "filters": ["context"],
            }
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            # Django would otherwise print request errors a second time, unformatted.
            "django": {"level": level, "propagate": True},
            "gunicorn.error": {"handlers": ["stdout"], "level": level, "propagate": False},
            "gunicorn.access": {"handlers": [], "propagate": False},
            "kernel.kafka": {"filters": ["repeats"]},
        },
    }
