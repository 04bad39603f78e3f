"""Settings of the notifications deployable."""

from config.settings.base import *
from config.settings.base import deployable_settings

globals().update(deployable_settings("notifications"))
