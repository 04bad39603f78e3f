"""Settings of the notifications deployable."""

from config.settings.base import *
from config.settings.base import deployable_settings

globals().update(deployable_settings("notifications"))

HEARTH_EVENT_CONSUMERS = ["apps.notifications.consumers.NOTIFICATIONS"]

CELERY_BEAT_SCHEDULE = {
    "notifications-sweep-pending": {
        "task": "notifications.sweep_pending",
        "schedule": 30.0,
        # A sweep no worker ran within its period is superseded by the next one.
        "options": {"expires": 30},
    },
}
