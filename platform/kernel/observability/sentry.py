"""Error reporting: Sentry only when a DSN is configured, so local runs and tests
never send anything anywhere."""

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration


def init_sentry(*, dsn: str, service: str, environment: str) -> bool:
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        server_name=service,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        traces_sample_rate=0.0,  # tracing goes through OpenTelemetry, not Sentry
        send_default_pii=False,
    )
    sentry_sdk.set_tag("service", service)
    return True
