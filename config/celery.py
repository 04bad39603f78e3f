"""Celery app of a deployable; HEARTH_SERVICE picks which one.

Tasks are thin entry points into a context's services; each deployable's worker
consumes only its own queue (named after the service) so one context's backlog
never delays another's.
"""

from celery import Celery

from config.services import select_settings_module

select_settings_module()

app = Celery("hearth")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
