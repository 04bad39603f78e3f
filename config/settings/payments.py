"""Settings of the payments deployable."""

from config.settings.base import *
from config.settings.base import deployable_settings

globals().update(deployable_settings("payments"))
HEARTH_EVENT_CONSUMERS = [REVOCATION_CONSUMER]  # ended sessions (kernel.auth.revocation)
