"""Settings of the notifications deployable."""

from config.settings.base import *
from config.settings.base import deployable_settings

globals().update(deployable_settings("notifications"))

HEARTH_EVENT_CONSUMERS = [
    "apps.notifications.consumers.NOTIFICATIONS",
    "apps.notifications.consumers.PAYMENT_EMAILS",  # payment due, receipts
    REVOCATION_CONSUMER,
]

CELERY_BEAT_SCHEDULE = {
    "notifications-sweep-pending": {
        "task": "notifications.sweep_pending",
        "schedule": 30.0,
        # A sweep no worker ran within its period is superseded by the next one.
        "options": {"expires": 30},
    },
}

# Makes the deployable's Celery app the current one in each of its processes (web,
# event consumer, worker), so the context's tasks (shared_task) are sent with this
# configuration, not with Celery's unconfigured default: contexts never import config.
import config.celery  # noqa: E402, F401
