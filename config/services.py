"""The deployables Hearth is built into: one per bounded context.

Django-free on purpose: the local stack (devstack/), the settings and the
Helm chart values all read this one table, so a context's port or worker
needs are written down once.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Service:
    name: str
    port: int  # local gunicorn port; Kubernetes Services listen on 8000 inside the pod
    celery_worker: bool = False
    celery_beat: bool = False  # periodic tasks (e.g. re-sending stalled work)
    consumes_events: bool = False  # runs `consume_events` beside its web process
    # Public API prefixes besides /api/v1/<name>, routed to it by the gateway.
    extra_api_prefixes: tuple[str, ...] = ()
    # Its contracts declare events, so its outbox has rows for a relay to publish
    # (config/tests/test_settings.py holds the flag to the catalogue).
    publishes_events: bool = False
    package: str = ""  # its Django app; default apps.<name>
    # The deployables it calls synchronously (kernel.http.ServiceClient): the
    # Helm chart gives it their <NAME>_URL and lets it, and only it, reach them.
    calls: tuple[str, ...] = ()
    sends_email: bool = False  # talks SMTP (the chart opens egress to the mail relay)
    searches: bool = False  # talks to Elasticsearch (the chart opens egress to it)
    object_storage: bool = False  # keeps objects in S3 (its own key pair, its own bucket)

    @property
    def app(self) -> str:
        return self.package or f"apps.{self.name}"

    @property
    def api_prefixes(self) -> tuple[str, ...]:
        return (self.name, *self.extra_api_prefixes)

    @property
    def db_schema(self) -> str:
        return self.name

    @property
    def db_role(self) -> str:
        return f"hearth_{self.name}"


SERVICES: dict[str, Service] = {
    service.name: service
    for service in (
        # The web front door: pages rendered from the contexts' public APIs.
        Service(
            "frontend",
            8100,
            package="frontend",
            calls=(
                "accounts",
                "listings",
                "applications",
                "notifications",
                "payments",
                "search",
                "analytics",
            ),
        ),
        # Every deployable that checks user tokens consumes accounts' ended sessions
        # (kernel.auth.revocation), besides what its own context consumes. Every
        # deployable's admin sign-in asks accounts (kernel.auth.admin_backend), so
        # every one calls accounts, accounts itself included.
        Service(
            "accounts",
            8101,
            extra_api_prefixes=("auth",),
            consumes_events=True,
            publishes_events=True,
            calls=("accounts",),
        ),
        # Its worker processes uploaded photos (apps.listings.tasks).
        Service(
            "listings",
            8102,
            celery_worker=True,
            consumes_events=True,
            publishes_events=True,
            calls=("accounts",),
            object_storage=True,
        ),
        Service(
            "applications", 8103, consumes_events=True, publishes_events=True, calls=("accounts",)
        ),
        Service("payments", 8104, consumes_events=True, publishes_events=True, calls=("accounts",)),
        Service(
            "notifications",
            8105,
            celery_worker=True,
            celery_beat=True,
            consumes_events=True,
            calls=("accounts",),
            sends_email=True,
        ),
        # A read model built from listings' events alone (docs/search.md): no
        # existing context knows it exists.
        Service("search", 8106, consumes_events=True, calls=("accounts",), searches=True),
        # Market figures from every past listings and applications event (docs/search.md).
        Service("analytics", 8107, consumes_events=True, calls=("accounts",)),
    )
}

# Selects the deployable: manage.py, wsgi.py and celery.py turn it into
# DJANGO_SETTINGS_MODULE=config.settings.<name>.
SERVICE_ENV_VAR = "HEARTH_SERVICE"


def select_settings_module() -> str:
    """Point Django at the settings of the deployable named by HEARTH_SERVICE.

    An explicit DJANGO_SETTINGS_MODULE wins, so tests and tools can pick one.
    """
    import os

    if "DJANGO_SETTINGS_MODULE" not in os.environ:
        name = os.environ.get(SERVICE_ENV_VAR, "")
        if name not in SERVICES:
            raise SystemExit(
                f"{SERVICE_ENV_VAR} must name a deployable, one of {sorted(SERVICES)}; got {name!r}"
            )
        os.environ["DJANGO_SETTINGS_MODULE"] = f"config.settings.{name}"
    return os.environ["DJANGO_SETTINGS_MODULE"]
