"""URL layout shared by every deployable.

A deployable serves its full public paths (/api/v1/..., /<service>/...), so it
answers the same URLs on its own port as behind the gateway or the Ingress,
which route by prefix without rewriting. An API deployable's errors are JSON
(kernel.api.errors, named as handler400 … handler500 in each URLconf).
"""

from importlib import import_module

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from kernel.api.views import api_index_view
from kernel.health.views import healthz, readyz


def probe_urlpatterns() -> list[URLPattern]:
    return [path("healthz", healthz, name="healthz"), path("readyz", readyz, name="readyz")]


def service_urlpatterns(service: str) -> list[URLPattern | URLResolver]:
    probes = probe_urlpatterns()
    api = import_module(f"apps.{service}.api.urls").urlpatterns
    prefix = f"api/v1/{service}/"
    return [
        *probes,  # for the kubelet, which calls the pod directly
        path(prefix, include(probes)),  # the same, through the gateway
        path(prefix, api_index_view(service, api), name="api-index"),
        path(f"{prefix}schema/", SpectacularAPIView.as_view(), name="schema"),
        # Split: Swagger UI's start-up script is a file of its own, not inline (CSP).
        path(f"{prefix}docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
        path("api/v1/", include(api)),
        path(f"admin/{service}/", admin.site.urls),
    ]
