from django.urls import include, path

from config.urls import probe_urlpatterns

urlpatterns = [
    *probe_urlpatterns(),
    path("", include("frontend.urls")),
]

# Friendly pages: 404.html, 403.html and 500.html by Django's own views; refused
# requests (400, or 413 for a body too large) by the front end's.
handler400 = "frontend.views.errors.bad_request"
