from config.urls import probe_urlpatterns
from kernel.api.errors import handler400, handler403, handler404, handler500  # noqa: F401

urlpatterns = probe_urlpatterns()
