"""JSON logs on stdout: one object per line with timestamp, level, service and
request id, ready for any log shipper. Django-free so gunicorn can use it too."""

import logging
from typing import Any

from kernel.observability.context import request_id_var


class ContextFilter(logging.Filter):
    """Stamps every record with the deployable's name and the current request id."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.request_id = request_id_var.get()
        return True


def logging_config(*, service: str, level: str = "INFO") -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter, "service": service}},
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(request_id)s",
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
        },
    }
