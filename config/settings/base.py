"""Settings shared by every deployable. Configuration comes from the environment
(12-factor); the defaults are the ports of the local stack (devstack/), so the same
image runs locally and in Kubernetes with only environment variables changed.

A deployable's own module (config/settings/<service>.py) adds what is its own
through `deployable_settings`.
"""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from apps.accounts import contracts as accounts_contracts
from config.environment import service_value
from config.services import SERVICES, Service
from kernel.observability.logging import logging_config
from kernel.observability.sentry import init_sentry

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"Set the environment variable {name}")
    return value


def env_bool(name: str, default: bool = False) -> bool:
    return env(name, str(default)).lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


HEARTH_ENV = env("HEARTH_ENV", "local")  # local | production
LOCAL = HEARTH_ENV == "local"
# Off unless asked for (DJANGO_DEBUG=true), locally too: what :8000 shows is what
# production shows, and no error page ever carries a traceback or the URL list.
DEBUG = env_bool("DJANGO_DEBUG", False)
# Links in emails point here: the gateway locally, the public host in production.
HEARTH_PUBLIC_URL = env("HEARTH_PUBLIC_URL", "http://127.0.0.1:8000")
# The public host, and the loopback names of the local stack. In Kubernetes a
# deployable also answers to its Service name (added per deployable, below);
# the kubelet's probes (Host: <pod ip>) are answered before the host check.
ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", f"{urlsplit(HEARTH_PUBLIC_URL).hostname},127.0.0.1,localhost"
)

# The apps every deployable runs: Django's own, DRF and the shared kernel.
PLATFORM_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "kernel",
]

MIDDLEWARE = [
    # Requests per route, their statuses and durations (kernel.observability.metrics);
    # the first and the last middleware, so they time everything in between.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "kernel.observability.middleware.RequestIdMiddleware",
    "kernel.http_security.ProbeMiddleware",  # the kubelet's, before the Host check
    "kernel.observability.middleware.MetricsMiddleware",  # the scraper's, likewise
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "kernel.http_security.RequestHygieneMiddleware",
    "kernel.http_security.NoStoreMiddleware",
    # An ETag on every GET answer, and a 304 to a client that holds it; the
    # gateway's cache answers revalidations from its copy the same way.
    "django.middleware.http.ConditionalGetMiddleware",
    "kernel.db.outage.DatabaseOutageMiddleware",  # a failover is a 503, not a 500
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
# Off only to measure what request metrics cost (bench/observability_overhead.py).
if not env_bool("HEARTH_REQUEST_METRICS", True):
    MIDDLEWARE = [name for name in MIDDLEWARE if not name.startswith("django_prometheus.")]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],  # each app's own templates/ only: the front end's stay in the front end
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
WSGI_APPLICATION = "config.wsgi.application"

# The admin's sign-in goes to accounts: one identity for staff (kernel.auth.admin_backend).
AUTHENTICATION_BACKENDS = ["kernel.auth.admin_backend.HearthAccountBackend"]
SESSION_COOKIE_AGE = 8 * 3600  # admin sessions: a working day

# --- hardening (docs/architecture.md, "Hardening") ----------------------------
# Bodies: the gateway refuses over 1 MB with a 413; so does each deployable
# (kernel.http_security), for traffic that reaches it without the gateway.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(env("HEARTH_MAX_BODY_BYTES", str(1024 * 1024)))
# Behind the gateway or the Ingress, which always set X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = not LOCAL
# Never redirected: the kubelet's probes, and the API. An API call over plain HTTP
# has already sent its token by the time a redirect could answer, and calls
# between deployables inside the cluster are plain HTTP to a Service name.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^api/v1/"]
SECURE_HSTS_SECONDS = 0 if LOCAL else 365 * 24 * 3600
SECURE_HSTS_INCLUDE_SUBDOMAINS = not LOCAL
SECURE_HSTS_PRELOAD = not LOCAL
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Cookies: names per deployable (set below), so on the one shared origin one
# context's admin session never overwrites another's; Secure outside a local run.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not LOCAL
SESSION_COOKIE_HTTPONLY = CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
CSRF_TRUSTED_ORIGINS = [
    "{0.scheme}://{0.netloc}".format(urlsplit(HEARTH_PUBLIC_URL)),
    *env_list("DJANGO_CSRF_TRUSTED_ORIGINS"),
]


def content_security_policy(*, inline_styles: bool) -> dict[str, Any]:
    """No inline script anywhere. Inline styles only where the HTML comes from
    libraries that carry them: the browsable API and Swagger UI of an API deployable."""
    return {
        "DIRECTIVES": {
            "default-src": [SELF],
            "script-src": [SELF],
            "style-src": [SELF, UNSAFE_INLINE] if inline_styles else [SELF],
            # Listing photos are links to the landlords' own images, on any host.
            "img-src": [SELF, "data:", *env_list("HEARTH_CSP_IMG_SRC", "https:")],
            "font-src": [SELF],
            "connect-src": [SELF],
            "object-src": [NONE],
            "base-uri": [SELF],
            "form-action": [SELF],
            "frame-ancestors": [NONE],
        }
    }


CONTENT_SECURITY_POLICY = content_security_policy(inline_styles=True)  # the front end: none

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

KAFKA_BOOTSTRAP_SERVERS = env("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
# Local: one broker. Production (helm values): 3 replicas, min.insync.replicas=2,
# so an acknowledged event survives the loss of any one broker or zone.
KAFKA_TOPIC_PARTITIONS = int(env("KAFKA_TOPIC_PARTITIONS", "3"))
KAFKA_REPLICATION_FACTOR = int(env("KAFKA_REPLICATION_FACTOR", "1"))
KAFKA_MIN_INSYNC_REPLICAS = int(env("KAFKA_MIN_INSYNC_REPLICAS", "1"))
# Every client signs in as its deployable (SCRAM); production adds TLS (SASL_SSL).
KAFKA_SECURITY_PROTOCOL = env(
    "KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT" if HEARTH_ENV == "local" else "SASL_SSL"
)
KAFKA_SASL_MECHANISM = env("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")

# Django's SMTP backend, with a span per send and the event-to-SMTP latency.
EMAIL_BACKEND = "kernel.observability.mail.ObservedSMTPBackend"
EMAIL_HOST = env("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(env("EMAIL_PORT", "1025"))
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Hearth <no-reply@hearth.local>")

# A task is acknowledged only after it ran, and re-queued if its worker dies:
# an accepted task is never lost to a killed node.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # JSON that is too deep, too large or unstorable is a 400/413, never a 500.
    "DEFAULT_PARSER_CLASSES": [
        "kernel.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Secure by default: a view that is public says so.
    "DEFAULT_AUTHENTICATION_CLASSES": ["kernel.auth.authentication.UserTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "kernel.api.pagination.PageNumberPagination",
    "DEFAULT_SCHEMA_CLASS": "kernel.api.openapi.AutoSchema",  # documents every refusal
    "EXCEPTION_HANDLER": "kernel.api.exceptions.exception_handler",
}

# Tokens: ES256, checked in every deployable against the key ring (kernel.auth),
# read from the deployable's own HEARTH_JWT_KEY_DIR (_store_credentials).
SIMPLE_JWT = {
    "ALGORITHM": "ES256",
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=int(env("JWT_ACCESS_MINUTES", "10"))),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=int(env("JWT_REFRESH_DAYS", "14"))),
    "ROTATE_REFRESH_TOKENS": True,
    "UPDATE_LAST_LOGIN": False,
    "LEEWAY": 5,  # seconds of clock skew between nodes
    "USER_ID_CLAIM": "sub",
    "AUTH_TOKEN_CLASSES": ("kernel.auth.tokens.UserAccessToken",),
    "TOKEN_USER_CLASS": "kernel.auth.authentication.Principal",
}

# Sessions ended before their access tokens expire (kernel.auth.revocation): accounts
# publishes these events; each deployable that checks user tokens names
# REVOCATION_CONSUMER in its HEARTH_EVENT_CONSUMERS, which marks them in its Redis.
HEARTH_REVOCATION_CHECK = env_bool("HEARTH_REVOCATION_CHECK", True)
# Answer from an in-memory mirror kept by Redis pub/sub (no round trip per request).
HEARTH_REVOCATION_MIRROR = env_bool("HEARTH_REVOCATION_MIRROR", True)
HEARTH_REVOCATION_EVENTS = {
    "topic": accounts_contracts.EVENTS.topic,
    "session_ended": [accounts_contracts.SESSION_REVOKED.name],
    "user_cut_off": {
        accounts_contracts.USER_SESSIONS_REVOKED.name: "revoked_before",
        accounts_contracts.PASSWORD_CHANGED.name: "changed_at",
    },
}
REVOCATION_CONSUMER = "kernel.auth.revocation.REVOCATION_CONSUMER"

# Where each deployable answers, for the few synchronous calls (kernel.http).
# Locally its gunicorn port; in Kubernetes its Service, e.g. http://accounts:8000.
HEARTH_SERVICE_URLS = {
    name: env(f"{name.upper()}_URL", f"http://127.0.0.1:{service.port}")
    for name, service in SERVICES.items()
}
HEARTH_BREAKER_FAIL_MAX = int(env("HEARTH_BREAKER_FAIL_MAX", "5"))
HEARTH_BREAKER_RESET_SECONDS = int(env("HEARTH_BREAKER_RESET_SECONDS", "15"))

DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True


def redis_sentinels(addresses: list[str]) -> list[tuple[str, int]]:
    """host:port items as (host, port) pairs."""
    return [(host, int(port)) for host, _, port in (item.rpartition(":") for item in addresses)]


# Redis: one server locally. In Kubernetes, REDIS_SENTINELS (host:port,...) names the
# sentinels, which say which node is the primary of REDIS_SENTINEL_MASTER: the cache,
# sessions, Celery and the revocation mirror ask them, and follow a failover. Then
# only the user, password and database of a deployable's Redis URLs are used.
REDIS_SENTINELS = redis_sentinels(env_list("REDIS_SENTINELS"))
REDIS_SENTINEL_MASTER = env("REDIS_SENTINEL_MASTER", "hearth")
if REDIS_SENTINELS:
    DJANGO_REDIS_CONNECTION_FACTORY = "django_redis.pool.SentinelConnectionFactory"


def _sentinel_login(url: str) -> dict[str, Any]:
    """How a client signs in to the sentinels: as its own Redis user (the sentinels
    know the same users, allowed only to ask where the primary is)."""
    parts = urlsplit(url)
    return {
        "username": parts.username,
        "password": parts.password,
        "socket_connect_timeout": 1,
        "socket_timeout": 1,
    }


def _with_host(url: str, host: str) -> str:
    """The URL with its host (and port) replaced, its login kept."""
    parts = urlsplit(url)
    login = parts.netloc.rpartition("@")[0]
    return parts._replace(netloc=f"{login}@{host}" if login else host).geturl()


def redis_cache(
    location: str, key_prefix: str, sentinels: list[tuple[str, int]], master: str
) -> dict[str, Any]:
    """A deployable's cache (and, in the front end, its sessions)."""
    options: dict[str, Any] = {
        # Fail fast, and fall through to the database: a slow or dead
        # cache must not make a request slow or failed.
        "SOCKET_CONNECT_TIMEOUT": 1,
        "SOCKET_TIMEOUT": 1,
        "IGNORE_EXCEPTIONS": True,
    }
    if sentinels:
        options |= {
            "CLIENT_CLASS": "django_redis.client.SentinelClient",
            "SENTINELS": sentinels,
            "SENTINEL_KWARGS": _sentinel_login(location),
        }
        # Its host is the master set's name, which the client asks the sentinels for.
        location = _with_host(location, master)
    return {
        # django-redis's, counting hits and misses (django_cache_*_total).
        "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
        "LOCATION": location,
        "KEY_PREFIX": key_prefix,
        "OPTIONS": options,
    }


def celery_redis(
    url: str, sentinels: list[tuple[str, int]], master: str
) -> tuple[str, dict[str, Any]]:
    """Celery's broker or result backend URL, and the transport options it needs:
    sentinel://user:password@sentinel/db;... and the master set's name, or the URL as is."""
    if not url or not sentinels:
        return url, {}
    sentinel = urlsplit(url)._replace(scheme="sentinel").geturl()
    urls = ";".join(_with_host(sentinel, f"{host}:{port}") for host, port in sentinels)
    return urls, {"master_name": master, "sentinel_kwargs": _sentinel_login(url)}


SENTRY_DSN = env("SENTRY_DSN", "")


def deployable_settings(service_name: str) -> dict[str, Any]:
    """What differs between deployables: the context installed, the URLconf, the
    database role and schema, the cache prefix, the Celery queue and the log label.

    The settings module of a deployable applies it with globals().update(), which
    keeps each of those modules to the one line that names its service.
    """
    return _settings_for(SERVICES[service_name], apps=[SERVICES[service_name].app])


def own_value(service: Service, name: str, default: str | None = None) -> str:
    """A value only this deployable is given: from the environment, or locally from its
    generated var/secrets/env/<service>.env (config.environment). No literal fallback."""
    value = service_value(service.name, name, default)
    if value is None:
        hint = " (locally: python -m config.secrets)" if HEARTH_ENV == "local" else ""
        raise ImproperlyConfigured(f"Set {name} for the {service.name} deployable{hint}")
    return value


def _store_credentials(service: Service) -> dict[str, Any]:
    """The deployable's own user in every store, and its own token keys: locally
    from its generated file, in production from its Secret (own_value). What it
    does not use may be left unset outside a local run."""
    uses_kafka = service.publishes_events or service.consumes_events
    unless_used = {True: None, False: ""}  # None: required
    # Celery's queues, bindings and results under the deployable's name, the only
    # keys and channels its Redis user may touch (as the cache's KEY_PREFIX).
    own_keys = {"global_keyprefix": f"{service.name}:"}
    broker, broker_options = celery_redis(
        own_value(service, "CELERY_BROKER_URL", unless_used[service.celery_worker]),
        REDIS_SENTINELS,
        REDIS_SENTINEL_MASTER,
    )
    results, results_options = celery_redis(
        own_value(service, "CELERY_RESULT_BACKEND", unless_used[service.celery_worker]),
        REDIS_SENTINELS,
        REDIS_SENTINEL_MASTER,
    )
    return {
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": results,
        "CELERY_BROKER_TRANSPORT_OPTIONS": own_keys | broker_options,
        "CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS": own_keys | results_options,
        "KAFKA_USERNAME": own_value(service, "KAFKA_USERNAME", f"hearth-{service.name}"),
        "KAFKA_PASSWORD": own_value(service, "KAFKA_PASSWORD", unless_used[uses_kafka]),
        # Only search reads it; production points it at a secured cluster.
        "ELASTICSEARCH_URL": own_value(service, "ELASTICSEARCH_URL", ""),
        # Holds its own private key and everyone's public keys, nobody else's private key.
        "HEARTH_JWT_KEY_DIR": str(BASE_DIR / own_value(service, "HEARTH_JWT_KEY_DIR")),
    }


def _settings_for(service: Service, *, apps: list[str]) -> dict[str, Any]:
    init_sentry(dsn=SENTRY_DSN, service=service.name, environment=HEARTH_ENV)
    return {
        "HEARTH_SERVICE": service.name,
        # Each deployable its own: a leaked key signs nothing another deployable trusts.
        "SECRET_KEY": own_value(service, "DJANGO_SECRET_KEY"),
        "INSTALLED_APPS": [*PLATFORM_APPS, *apps],
        # Its Service name too, which the other deployables call it by in Kubernetes.
        "ALLOWED_HOSTS": _with_service_host(service),
        "SESSION_COOKIE_NAME": f"hearth_{service.name}_session",
        "CSRF_COOKIE_NAME": f"hearth_{service.name}_csrftoken",
        "ROOT_URLCONF": f"config.urls.{service.name}",
        "DATABASES": {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "HOST": env("DATABASE_HOST", "127.0.0.1"),
                "PORT": env("DATABASE_PORT", "5433"),
                "NAME": env("DATABASE_NAME", "hearth"),
                "USER": env("DATABASE_USER", service.db_role),
                "PASSWORD": own_value(service, "DATABASE_PASSWORD"),
                "CONN_MAX_AGE": 60,
                "CONN_HEALTH_CHECKS": True,
                "OPTIONS": {
                    # The role may use only its own schema; search_path makes every
                    # table, django_migrations included, land there and not in public.
                    "options": f"-c search_path={service.db_schema}",
                    "connect_timeout": 3,
                    # A primary that vanished without a FIN or RST (its node cut off, or
                    # killed with the pod's network left up) would hold each connection's
                    # thread until the kernel's ~15-minute retransmission limit: a query
                    # with unacknowledged bytes fails after 5 s, and an idle pooled
                    # connection is probed after 10 s and dropped after three missed
                    # probes, so the next request reconnects to the promoted standby.
                    "tcp_user_timeout": 5000,
                    "keepalives": 1,
                    "keepalives_idle": 10,
                    "keepalives_interval": 3,
                    "keepalives_count": 3,
                },
                "TEST": {"NAME": env("DATABASE_TEST_NAME", "hearth_test")},
            }
        },
        "CACHES": {
            "default": redis_cache(
                own_value(service, "REDIS_URL"),
                service.name,
                REDIS_SENTINELS,
                REDIS_SENTINEL_MASTER,
            )
        },
        "CELERY_TASK_DEFAULT_QUEUE": service.name,
        **_store_credentials(service),
        # What the deployable publishes (its contracts) and consumes; dotted paths
        # so the kernel's event commands never import a context.
        "HEARTH_EVENT_CATALOGUES": [f"{app}.contracts.EVENTS" for app in apps],
        "HEARTH_EVENT_CONSUMERS": [],
        "LOGGING": logging_config(service=service.name),
        "SPECTACULAR_SETTINGS": {
            "TITLE": f"Hearth {service.name} API",
            "VERSION": "1.0.0",
            "SERVE_INCLUDE_SCHEMA": False,
            "SWAGGER_UI_DIST": "SIDECAR",  # served by the deployable itself: no CDN
            "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
            "COMPONENT_SPLIT_REQUEST": True,
            # Tags and derived operation ids start after /api/v1/ in every deployable
            # (accounts, auth, listings, ...), not after whatever prefix its paths share.
            "SCHEMA_PATH_PREFIX": r"/api/v1/",
            # Bodies are documented as JSON only: nested input (money, photos) cannot be
            # sent as a form, which the browsable API's form parsers still take.
            "PARSER_WHITELIST": ["kernel.api.parsers.JSONParser"],
            "POSTPROCESSING_HOOKS": [
                "drf_spectacular.hooks.postprocess_schema_enums",
                "kernel.api.openapi.link_created_resources",
            ],
        },
        "HEARTH_CITUS_PLAN": [f"{app}.sharding.PLAN" for app in apps],
    }


def _with_service_host(service: Service) -> list[str]:
    url = HEARTH_SERVICE_URLS.get(service.name)
    host = urlsplit(url).hostname if url else None
    return ALLOWED_HOSTS if host is None or host in ALLOWED_HOSTS else [*ALLOWED_HOSTS, host]
