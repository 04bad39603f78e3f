from config.urls import service_urlpatterns
from kernel.api.errors import handler400, handler403, handler404, handler500  # noqa: F401

urlpatterns = service_urlpatterns("analytics")
