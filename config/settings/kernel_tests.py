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
# Its tests create and delete topics and consumer groups of their own, all named
# under this prefix: its Kafka principal may do anything there, nothing elsewhere.
HEARTH_KAFKA_OWNED_PREFIX = "hearth.kernel_tests."
