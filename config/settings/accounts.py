"""Settings of the accounts deployable."""

from config.settings.base import *
from config.settings.base import HEARTH_ENV, REST_FRAMEWORK, deployable_settings, env

globals().update(deployable_settings("accounts"))
HEARTH_EVENT_CONSUMERS = [REVOCATION_CONSUMER]  # its own ended sessions, like everyone

AUTH_USER_MODEL = "accounts.User"
# Sign-in goes through EmailClaim, so the user row's email need not be unique.
AUTHENTICATION_BACKENDS = ["apps.accounts.backends.EmailBackend"]
SILENCED_SYSTEM_CHECKS = ["auth.W004"]  # email is unique, through EmailClaim
AUTH_PASSWORD_VALIDATORS = [
    # Our user has full_name, not Django's first_name and last_name: name them.
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "full_name")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The client's address is the last X-Forwarded-For entry, the one the hop in front
# of accounts added (the gateway, or the front end passing on its visitor's): any
# earlier entry is whatever the client chose to send.
REST_FRAMEWORK = {**REST_FRAMEWORK, "NUM_PROXIES": 1}

# Brute-force limits (apps/accounts/limits.py): "<count>/<period>", period as
# 30s, 15m, 1h or 1d. Counters live in Redis. Per account they are the same
# everywhere; per address a local run is generous, because the seed, the test
# suites and the browser journeys all come from 127.0.0.1 (the gateway's own
# per-address limit still applies there).
_PER_ADDRESS = {
    # scope: (production, local)
    "sign_in_address": ("30/1m", "600/1m"),
    "refresh_address": ("60/1m", "1200/1m"),
    "register_address": ("20/1h", "2000/1h"),
    "reset_address": ("10/1h", "1000/1h"),
    "reset_confirm_address": ("20/1h", "1000/1h"),
}
_PER_ACCOUNT = {
    # Failed sign-ins of one email: then 429 until the window ends, right password or not.
    "sign_in_failures": "5/15m",
    "refresh_account": "30/1m",
    "register_email": "5/1h",
    # Reset emails per address: more requests get the same 202 and send nothing.
    "reset_email": "3/1h",
}
HEARTH_ACCOUNTS_LIMITS = {
    **{
        scope: env(f"HEARTH_LIMIT_{scope.upper()}", local if HEARTH_ENV == "local" else production)
        for scope, (production, local) in _PER_ADDRESS.items()
    },
    **{scope: env(f"HEARTH_LIMIT_{scope.upper()}", rate) for scope, rate in _PER_ACCOUNT.items()},
}
HEARTH_LIMITS_KEY_PREFIX = "accounts:limit"
# How long a reset link works after it was asked for.
PASSWORD_RESET_MINUTES = int(env("HEARTH_PASSWORD_RESET_MINUTES", "30"))
# Every "forgot my password" answer takes at least this long, so the extra work of
# a real reset (a few ms) does not tell who has an account: above its p99.
PASSWORD_RESET_ANSWER_SECONDS = int(env("HEARTH_PASSWORD_RESET_ANSWER_MS", "100")) / 1000
