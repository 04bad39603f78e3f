"""Celery app of a deployable; HEARTH_SERVICE picks which one.

Tasks are thin entry points into a context's services; each deployable's worker
consumes only its own queue (named after the service) so one context's backlog
never delays another's.
"""

import os

from celery import Celery
from celery.signals import beat_init, worker_init, worker_process_init
from django.conf import settings

from config.services import select_settings_module

select_settings_module()

app = Celery("hearth")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Celery prefers these two variables to its configuration (celery.app.utils.Settings),
# which would bypass what the settings made of them: behind Sentinel, a connection to
# whichever replica the Service picked (writes refused). Read into the settings first.
if settings.CELERY_BROKER_URL or settings.CELERY_RESULT_BACKEND:
    for variable in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        os.environ.pop(variable, None)
app.autodiscover_tasks()


@worker_init.connect  # the worker itself (the threads pool runs the tasks in it)
def _observe_worker(**_kwargs) -> None:
    from kernel.observability.metrics import serve_process_metrics
    from kernel.observability.tracing import init_tracing

    init_tracing(settings.HEARTH_SERVICE, process="worker")
    serve_process_metrics("worker")


@worker_process_init.connect  # each child of a prefork pool, after its fork
def _trace_pool_process(**_kwargs) -> None:
    from kernel.observability.tracing import init_tracing

    init_tracing(settings.HEARTH_SERVICE, process="worker")


@beat_init.connect
def _trace_beat(**_kwargs) -> None:
    from kernel.observability.tracing import init_tracing

    init_tracing(settings.HEARTH_SERVICE, process="beat")
