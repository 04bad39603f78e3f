"""Celery app of a deployable; HEARTH_SERVICE picks which one.

Tasks are thin entry points into a context's services; each deployable's worker
consumes only its own queue (named after the service) so one context's backlog
never delays another's.
"""

import os

from celery import Celery
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
