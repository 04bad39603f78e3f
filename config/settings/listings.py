"""Settings of the listings deployable."""

from config.settings.base import *
from config.settings.base import deployable_settings

globals().update(deployable_settings("listings"))
HEARTH_EVENT_CONSUMERS = ["apps.listings.consumers.LISTINGS_CONSUMER", REVOCATION_CONSUMER]
