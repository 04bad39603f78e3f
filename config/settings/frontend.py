"""Settings of the web front end: pages rendered server-side from the contexts'
public APIs. It owns no domain table; its schema holds only Django's own."""

from config.settings.base import *
from config.settings.base import content_security_policy, deployable_settings

globals().update(deployable_settings("frontend"))

HEARTH_EVENT_CATALOGUES = []  # publishes nothing
HEARTH_CITUS_PLAN = []

# Signed-in browsers: the API tokens stay on the server, in the session (Redis);
# the browser holds only the session id, in an HttpOnly, SameSite cookie
# (Secure outside local: config.settings.base).
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SESSION_COOKIE_AGE = 14 * 24 * 3600  # as long as a refresh token lives

# The UI's pages carry no inline script and no inline style.
CONTENT_SECURITY_POLICY = content_security_policy(inline_styles=False)

# Static files (its own and the admin's) served by the front end itself: the
# gateway and the Ingress route /static/ here, for every deployable's pages.
_after_security = MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1
MIDDLEWARE = [
    *MIDDLEWARE[:_after_security],
    "whitenoise.middleware.WhiteNoiseMiddleware",
    *MIDDLEWARE[_after_security:],
    "frontend.session.SignedInUserMiddleware",
]
WHITENOISE_USE_FINDERS = True  # no collectstatic step, DEBUG or not
TEMPLATES[0]["OPTIONS"]["context_processors"].append("frontend.session.signed_in_user")
