"""Settings of the accounts deployable."""

from config.settings.base import *
from config.settings.base import deployable_settings

globals().update(deployable_settings("accounts"))
HEARTH_EVENT_CONSUMERS = [REVOCATION_CONSUMER]  # its own ended sessions, like everyone

AUTH_USER_MODEL = "accounts.User"
# Sign-in goes through EmailClaim, so the user row's email need not be unique.
AUTHENTICATION_BACKENDS = ["apps.accounts.backends.EmailBackend"]
SILENCED_SYSTEM_CHECKS = ["auth.W004"]  # email is unique, through EmailClaim
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
