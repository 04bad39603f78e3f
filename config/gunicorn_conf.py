"""Gunicorn settings of every deployable; --bind is given per service on the command line."""

import os

from kernel.observability.logging import logging_config

workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# A request stuck longer than this is a bug or a dead dependency; the worker is
# recycled rather than left holding a thread.
timeout = 30
graceful_timeout = 20
keepalive = 5
# Access lines come from the request-id middleware as JSON; gunicorn's own would
# duplicate them in another format.
accesslog = None
errorlog = "-"
# gunicorn's own lines (boot, worker restarts, timeouts) in the same JSON shape.
logconfig_dict = logging_config(service=os.environ.get("HEARTH_SERVICE", "unknown"))
# Bound memory growth and spread restarts so workers never all recycle at once.
max_requests = 5000
max_requests_jitter = 500
