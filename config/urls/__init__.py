"""URL layout shared by every deployable.

A deployable serves its full public paths (/api/v1/<service>/..., /<service>/...),
so it answers the same URLs on its own port as behind the gateway or the Ingress,
which route by prefix without rewriting.
"""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from kernel.health.views import healthz, readyz


def probe_urlpatterns() -> list[URLPattern]:
    return [path("healthz", healthz, name="healthz"), path("readyz", readyz, name="readyz")]


def service_urlpatterns(service: str) -> list[URLPattern | URLResolver]:
    probes = probe_urlpatterns()
    return [
        *probes,  # for the kubelet, which calls the pod directly
        path(f"api/v1/{service}/", include(probes)),  # the same, through the gateway
        path(f"api/v1/{service}/", include(f"apps.{service}.api.urls")),
        path(f"{service}/admin/", admin.site.urls),
    ]
