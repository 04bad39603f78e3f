from config.urls import service_urlpatterns

urlpatterns = service_urlpatterns("listings")
