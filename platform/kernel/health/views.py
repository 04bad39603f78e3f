"""Kubernetes probes.

/healthz (liveness) touches no dependency: a dead database must not make the
kubelet restart every pod. /readyz (readiness) checks the dependencies, so a pod
that cannot serve is taken out of the Service until it can.
"""

import platform

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from kernel.health.checks import readiness_checks, run_checks


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "status": "alive",
            "service": settings.HEARTH_SERVICE,
            # Proves the standard-library `platform` module, not Hearth's platform/
            # folder, is what this process imported.
            "python": platform.python_version(),
        }
    )


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    checks = run_checks(readiness_checks())
    ready = all(result == "ok" for result in checks.values())
    return JsonResponse(
        {
            "status": "ready" if ready else "not ready",
            "service": settings.HEARTH_SERVICE,
            "checks": checks,
        },
        status=200 if ready else 503,
    )
