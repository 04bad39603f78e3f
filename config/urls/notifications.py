from config.urls import service_urlpatterns

urlpatterns = service_urlpatterns("notifications")
