"""Settings for the shared kernel's own tests: the kernel alone, in a schema of its
own (kernel_tests, provisioned only in the test database), so its tests depend on
no bounded context."""

from config.services import Service
from config.settings.base import *
from config.settings.base import _settings_for

globals().update(_settings_for(Service("kernel_tests", port=0), apps=[]))
ROOT_URLCONF = "config.urls.kernel_tests"
HEARTH_EVENT_CATALOGUES = ["kernel.testing.probe.EVENTS"]
HEARTH_EVENT_CONSUMERS = ["kernel.testing.probe.RECORDER"]
