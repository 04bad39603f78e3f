"""WSGI entry point of every deployable; HEARTH_SERVICE picks which one."""

from config.services import select_settings_module

select_settings_module()

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
