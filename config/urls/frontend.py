from django.urls import include, path

from config.urls import probe_urlpatterns

urlpatterns = [
    *probe_urlpatterns(),
    path("", include("frontend.urls")),
]
