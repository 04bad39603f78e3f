"""Settings of the accounts deployable."""

from config.settings.base import *
from config.settings.base import deployable_settings

globals().update(deployable_settings("accounts"))
