"""Request id in, request id out, one JSON access line per request; and /metrics."""

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from kernel.observability import tracing
from kernel.observability.context import REQUEST_ID_HEADER, accept_request_id, request_id_var
from kernel.observability.tracing import REQUEST_SPAN_IDS

access_log = logging.getLogger("hearth.access")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = accept_request_id(request.headers.get(REQUEST_ID_HEADER))
        token = request_id_var.set(request_id)
        request.request_id = request_id
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            access_log.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    **_span_ids(request),
                },
            )
            return response
        finally:
            request_id_var.reset(token)


def _span_ids(request: HttpRequest) -> dict[str, str | None]:
    # Tracing's middleware runs inside this one, so its span has ended by now.
    ids = getattr(request, REQUEST_SPAN_IDS, None)
    return {"trace_id": ids[0], "span_id": ids[1]} if ids else {}


METRICS_PATH = "/metrics"


class MetricsMiddleware:
    """Answers /metrics (kernel.observability.metrics) before the Host check, as
    kernel.http_security.ProbeMiddleware does for the probes: a scraper addresses a
    pod by its IP. Internal only: the gateway refuses the path, and a request that
    came through any proxy (the gateway, the Ingress: they add X-Forwarded-For,
    which a client cannot take away) is not answered here, whatever route led it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.path_info != METRICS_PATH
            or request.method not in ("GET", "HEAD")
            or "HTTP_X_FORWARDED_FOR" in request.META
        ):
            return self.get_response(request)
        from prometheus_client import CONTENT_TYPE_LATEST

        from kernel.observability.live import render_web_metrics

        return HttpResponse(render_web_metrics(), content_type=CONTENT_TYPE_LATEST)


TRACE_HEADERS = {"traceparent": "HTTP_TRACEPARENT", "tracestate": "HTTP_TRACESTATE"}


class DrawnAtTheDoor:
    """Where tracing's Django middleware would be (kernel.observability.tracing puts
    it there in web processes): a request the door draws goes through that
    middleware; any other is served under an unsampled span (tracing.Door)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from opentelemetry.instrumentation.django.middleware.otel_middleware import (
            _DjangoMiddleware,
        )

        self.get_response = get_response
        self.door = tracing.door()
        self.traced = _DjangoMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        carrier = {key: meta[name] for key, name in TRACE_HEADERS.items() if name in meta}
        parent = self.door.parent_of(carrier)
        if self.door.draws(parent):
            request.hearth_traced = True
            return self.traced(request)
        with self.door.unsampled(parent) as unsampled:
            setattr(request, REQUEST_SPAN_IDS, unsampled.ids)
            response = self.get_response(request)
            route = getattr(request.resolver_match, "route", None)
            unsampled.name = f"{request.method} {route}" if route else request.method
            unsampled.attributes = {
                "http.method": request.method,
                "http.route": route or "",
                "http.status_code": response.status_code,
            }
            unsampled.status = response.status_code
        return response

    # Django calls these on the middleware in MIDDLEWARE: the traced path's own.
    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(request, "hearth_traced", False):
            return self.traced.process_view(request, view_func, view_args, view_kwargs)
        return None

    def process_exception(self, request, exception):
        if getattr(request, "hearth_traced", False):
            return self.traced.process_exception(request, exception)
        return None
