"""WSGI entry point of every deployable; HEARTH_SERVICE picks which one."""

from config.services import select_settings_module

select_settings_module()

import os  # noqa: E402

from django.core.wsgi import get_wsgi_application  # noqa: E402

from kernel.observability.tracing import init_tracing  # noqa: E402

# Under gunicorn, post_fork has done it already (config/gunicorn_conf.py); this
# covers any other WSGI server. Before the handler loads Django's middleware.
init_tracing(os.environ.get("HEARTH_SERVICE", "unknown"), process="web", django=True)
application = get_wsgi_application()
