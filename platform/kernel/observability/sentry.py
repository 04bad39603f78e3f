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
        # Errors only. No tracing yet: events carry an empty trace_context until
        # a tracer (OpenTelemetry) fills it.
        traces_sample_rate=0.0,
        send_default_pii=False,
    )
    sentry_sdk.set_tag("service", service)
    return True
