from config.urls import probe_urlpatterns

urlpatterns = probe_urlpatterns()
