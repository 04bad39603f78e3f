"""Settings of the analytics deployable: market figures from every past event (docs/search.md)."""

from config.settings.base import *
from config.settings.base import deployable_settings

globals().update(deployable_settings("analytics"))
HEARTH_EVENT_CONSUMERS = ["apps.analytics.consumers.FACTS", REVOCATION_CONSUMER]
