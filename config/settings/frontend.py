"""Settings of the web front end: pages rendered server-side from the contexts'
public APIs. It owns no domain table; its schema holds only Django's own."""

from config.settings.base import *
from config.settings.base import deployable_settings, env_bool

globals().update(deployable_settings("frontend"))

HEARTH_EVENT_CATALOGUES = []  # publishes nothing
HEARTH_CITUS_PLAN = []

# Signed-in browsers: the API tokens stay on the server, in the session (Redis);
# the browser holds only the session id, in an HttpOnly, SameSite cookie.
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("HEARTH_SECURE_COOKIES", HEARTH_ENV != "local")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 14 * 24 * 3600  # as long as a refresh token lives

# Static files (its own and the admin's) served by the front end itself.
MIDDLEWARE = [
    *MIDDLEWARE[:2],
    "whitenoise.middleware.WhiteNoiseMiddleware",
    *MIDDLEWARE[2:],
    "frontend.session.SignedInUserMiddleware",
]
WHITENOISE_USE_FINDERS = True  # no collectstatic step needed locally
TEMPLATES[0]["OPTIONS"]["context_processors"].append("frontend.session.signed_in_user")
