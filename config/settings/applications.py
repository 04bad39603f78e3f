"""Settings of the applications deployable."""

from config.settings.base import *
from config.settings.base import deployable_settings

globals().update(deployable_settings("applications"))
HEARTH_EVENT_CONSUMERS = ["apps.applications.consumers.LISTINGS_READ_MODEL", REVOCATION_CONSUMER]
