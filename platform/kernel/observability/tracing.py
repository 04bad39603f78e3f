"""Distributed tracing with OpenTelemetry, started once per process by each entry
point (wsgi and gunicorn's post_fork, the relay and consumer commands, Celery).

Configured by the standard variables: OTEL_EXPORTER_ZIPKIN_ENDPOINT (no endpoint,
no tracing: the API stays a no-op and nothing is sent anywhere), OTEL_SERVICE_NAME
(default: the deployable), OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER and
OTEL_TRACES_SAMPLER_ARG (default: parent-based, roots drawn at the ratio
OTEL_TRACES_SAMPLER_ARG, 1.0 unless set, and no trace rooted in a background
client call), OTEL_BSP_* for the batch exporter, OTEL_SDK_DISABLED.

Sampling is decided at the root and followed by every hop (parent-based). Errors
and slow work are kept even when the root's coin said no (HEARTH_TRACE_KEEP_SLOW_MS,
default 500, 0 turns it off): unsampled spans are recorded but not exported, and
a process exports its part of an unsampled trace when its local root ends in an
error or took longer than that. Each process decides for its own part, so a slow
consumer keeps its spans even when the request that caused it was fast; a trace
kept that way can miss the other processes' parts. A collector's tail sampling
would keep whole traces; there is none here (docs/observability.md).
"""

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from time import time_ns

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    AlwaysRecordSampler,
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

PROCESS_ATTRIBUTE = "hearth.process"  # web, relay, consumer, worker, beat, command
# Probes and scrapes every few seconds would drown the traces that matter.
EXCLUDED_URLS = "healthz,readyz,metrics"
TRACED_AFTER_MIDDLEWARE = "kernel.observability.middleware.MetricsMiddleware"
DOOR_MIDDLEWARE = "kernel.observability.middleware.DrawnAtTheDoor"

WEB_PROCESS = "web"
_started_in: set[int] = set()  # the process ids that have started tracing
_lock = threading.Lock()


def tracing_configured() -> bool:
    return bool(os.environ.get("OTEL_EXPORTER_ZIPKIN_ENDPOINT")) and (
        os.environ.get("OTEL_SDK_DISABLED", "").lower() != "true"
    )


def init_tracing(service: str, *, process: str, django: bool = False) -> bool:
    """Install the tracer provider and the instrumentations, once per process.

    `django`: also instrument Django's request handling; call before the WSGI
    handler loads its middleware. False, and nothing done, when not configured.
    """
    if not tracing_configured():
        return False
    with _lock:
        if os.getpid() in _started_in:
            return True
        _started_in.add(os.getpid())
        _install_provider(service, process)
        _instrument_libraries(django=django)
    return True


class NoClientRoots(Sampler):
    """Drops a trace that would begin with a client call (a Redis command, an SQL
    statement, an HTTP call) outside any span: the pollers of Celery, the
    revocation mirror and the relay, which would bury the requests' traces."""

    def __init__(self, root: Sampler) -> None:
        self.root = root

    def should_sample(  # noqa: PLR0913, PLR0917 - the Sampler interface
        self,
        parent_context,
        trace_id,
        name,
        kind=None,
        attributes=None,
        links=None,
        trace_state=None,
    ) -> SamplingResult:
        if kind is SpanKind.CLIENT:
            return SamplingResult(Decision.DROP)
        return self.root.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"NoClientRoots{{{self.root.get_description()}}}"


def _sampler(*, keep_slow: bool) -> Sampler:
    """OTEL_TRACES_SAMPLER when set (as it is: nothing kept besides). Else parent-
    based, the roots drawn at OTEL_TRACES_SAMPLER_ARG (default 1.0), never a client
    call's; with `keep_slow`, what the draw leaves out is still recorded, for
    KeepErrorsAndSlow to keep or drop when its local root ends."""
    if os.environ.get("OTEL_TRACES_SAMPLER"):
        from opentelemetry.sdk.trace.sampling import _get_from_env_or_default

        return _get_from_env_or_default()
    ratio = TraceIdRatioBased(root_ratio())
    if not keep_slow:
        return ParentBased(root=NoClientRoots(ratio))
    return ParentBased(
        root=NoClientRoots(AlwaysRecordSampler(ratio)),
        remote_parent_not_sampled=AlwaysRecordSampler(ALWAYS_OFF),
        local_parent_not_sampled=AlwaysRecordSampler(ALWAYS_OFF),
    )


def root_ratio() -> float:
    return float(os.environ.get("OTEL_TRACES_SAMPLER_ARG", "1.0"))


def _door_sampler() -> Sampler:
    """A web process's: the Door has drawn each request already, and only the drawn
    ones reach the server span, so a server root is always sampled; what runs under
    an unsampled request is not recorded at all."""
    return ParentBased(root=NoClientRoots(ALWAYS_ON))


def keep_slow_seconds() -> float:
    return float(os.environ.get("HEARTH_TRACE_KEEP_SLOW_MS", "500")) / 1000


def _install_provider(service: str, process: str) -> None:
    from opentelemetry.exporter.zipkin.json import ZipkinExporter

    attributes = {PROCESS_ATTRIBUTE: process}
    if not os.environ.get("OTEL_SERVICE_NAME"):
        attributes["service.name"] = service
    slow = keep_slow_seconds()
    own_policy = not os.environ.get("OTEL_TRACES_SAMPLER")
    at_the_door = own_policy and process == WEB_PROCESS
    sampler = _door_sampler() if at_the_door else _sampler(keep_slow=slow > 0 and own_policy)
    resource = Resource.create(attributes)
    provider = TracerProvider(resource=resource, sampler=sampler)
    # The batch processor's thread starts here, in the process that exports: after
    # gunicorn's fork, never in its master (a thread does not survive a fork).
    exporting = BatchSpanProcessor(ZipkinExporter())
    processor = KeepErrorsAndSlow(exporting, process=process, slow_seconds=slow)
    provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    if at_the_door:
        Door.current = Door(
            ratio=root_ratio(), slow_seconds=slow, keep=processor, resource=resource
        )


def _instrument_libraries(*, django: bool) -> None:
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    if django:
        from django.conf import settings
        from opentelemetry.instrumentation.django import DjangoInstrumentor

        # Its middleware reads the Host header at once (DisallowedHost), so it goes
        # after the probes' (a kubelet's Host is the pod IP) and after the request
        # id (a refused Host still gets its X-Request-Id). Its only knob is this.
        position = list(settings.MIDDLEWARE).index(TRACED_AFTER_MIDDLEWARE) + 1
        os.environ.setdefault("OTEL_PYTHON_DJANGO_MIDDLEWARE_POSITION", str(position))
        DjangoInstrumentor().instrument(
            excluded_urls=EXCLUDED_URLS, request_hook=_remember_request_span
        )
        if Door.current is not None:  # the door stands where the instrumentor put its middleware
            settings.MIDDLEWARE = [
                DOOR_MIDDLEWARE if name == DjangoInstrumentor._opentelemetry_middleware else name
                for name in settings.MIDDLEWARE
            ]
    RedisInstrumentor().instrument()
    RequestsInstrumentor().instrument(excluded_urls=EXCLUDED_URLS)
    CeleryInstrumentor().instrument()
    # PostgreSQL: kernel.observability.db (Django's psycopg backend replaces the
    # cursor factory the psycopg instrumentation would install). Kafka:
    # instrument_producer on each producer the kernel makes.
    from kernel.observability import db

    db.trace_django_queries()


class KeepErrorsAndSlow(SpanProcessor):
    """Passes sampled spans on to `exporting`; holds the recorded-only spans of each
    unsampled trace until its local root ends, then passes them on if that root
    failed or was slow, else drops them. Bounded: at most `max_traces` traces wait."""

    def __init__(
        self,
        exporting: SpanProcessor,
        *,
        process: str,
        slow_seconds: float,
        max_traces: int = 512,
        max_spans_per_trace: int = 256,
    ) -> None:
        self.exporting = exporting
        self.process = process
        self.slow_ns = int(slow_seconds * 1e9)
        self.max_traces = max_traces
        self.max_spans_per_trace = max_spans_per_trace
        self._waiting: OrderedDict[int, list[ReadableSpan]] = OrderedDict()
        self._lock = threading.Lock()

    def on_start(self, span: Span, parent_context=None) -> None:
        span.set_attribute(PROCESS_ATTRIBUTE, self.process)
        self.exporting.on_start(span, parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        if span.context.trace_flags.sampled:
            self.exporting.on_end(span)
            return
        local_root = span.parent is None or span.parent.is_remote
        with self._lock:
            held = self._waiting.pop(span.context.trace_id, [])
            if not local_root:
                if len(held) < self.max_spans_per_trace:
                    held.append(span)
                self._waiting[span.context.trace_id] = held
                while len(self._waiting) > self.max_traces:
                    self._waiting.popitem(last=False)
                return
        failed = span.status.status_code is StatusCode.ERROR
        slow = (span.end_time or 0) - (span.start_time or 0) >= self.slow_ns
        if failed or slow:
            for kept in [*held, span]:
                self.exporting.on_end(_as_sampled(kept))

    def shutdown(self) -> None:
        self.exporting.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.exporting.force_flush(timeout_millis)


def _as_sampled(span: ReadableSpan) -> ReadableSpan:
    """The same span flagged sampled, which is what the batch processor exports."""
    ctx = span.context
    sampled = TraceFlags(TraceFlags.SAMPLED)
    return ReadableSpan(
        name=span.name,
        context=SpanContext(ctx.trace_id, ctx.span_id, ctx.is_remote, sampled, ctx.trace_state),
        parent=span.parent,
        resource=span.resource,
        attributes=span.attributes,
        events=span.events,
        links=span.links,
        kind=span.kind,
        status=span.status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


# --- web requests: drawn at the door --------------------------------------------


def door() -> "Door | None":
    """The web process's Door, or None when tracing is off or another sampler is set."""
    return Door.current


class Door:
    """Draws each web request before OpenTelemetry's Django middleware does any work.

    That middleware collects a request's attributes, resolves its route and starts
    a span whatever the draw says, and recording every request to keep the slow
    ones (KeepErrorsAndSlow) costs more again: together a fifth of a cached read's
    time (bench/observability_overhead.py). A request the door leaves out gets a
    span that records nothing, in the parent's trace or a fresh one, flagged not
    sampled: every call under it is as cheap, every hop downstream is told so, and
    its logs still carry its ids. If it fails (5xx) or is slow, its server span
    alone is exported afterwards, under the ids its logs carry; what ran under it
    is not (a sampled trace has it all).
    """

    current: "Door | None" = None  # the web process's, once tracing has started

    def __init__(
        self, *, ratio: float, slow_seconds: float, keep: SpanProcessor, resource: Resource
    ) -> None:
        self.ratio = ratio
        self.slow_ns = int(slow_seconds * 1e9) if slow_seconds > 0 else None
        self.keep = keep
        self.resource = resource
        self._ids = RandomIdGenerator()

    def parent_of(self, carrier: Mapping[str, str]) -> SpanContext:
        return trace.get_current_span(context_from(carrier)).get_span_context()

    def draws(self, parent: SpanContext) -> bool:
        """Whether the request is traced: as its parent says, else at the ratio."""
        if parent.is_valid:
            return parent.trace_flags.sampled
        return self._ids.generate_trace_id() < self.ratio * (1 << 128)

    @contextmanager
    def unsampled(self, parent: SpanContext) -> Iterator["UnsampledRequest"]:
        trace_id = parent.trace_id if parent.is_valid else self._ids.generate_trace_id()
        context = SpanContext(trace_id, self._ids.generate_span_id(), is_remote=False)
        request = UnsampledRequest(context, parent if parent.is_valid else None)
        token = otel_context.attach(trace.set_span_in_context(trace.NonRecordingSpan(context)))
        try:
            yield request
        finally:
            otel_context.detach(token)
            request.end_ns = time_ns()
            if request.status >= 500 or (
                self.slow_ns is not None and request.end_ns - request.start_ns >= self.slow_ns
            ):
                self.keep.on_end(request.as_span(self.resource))


class UnsampledRequest:
    """What the door knows of a request it left out, to export it if need be."""

    def __init__(self, context: SpanContext, parent: SpanContext | None) -> None:
        self.context = context
        self.parent = parent
        self.start_ns = time_ns()
        self.end_ns = self.start_ns
        self.name = "HTTP"
        self.attributes: dict[str, str | int] = {}
        self.status = 0

    @property
    def ids(self) -> tuple[str | None, str | None]:
        return ids_of_span(trace.NonRecordingSpan(self.context))

    def as_span(self, resource: Resource) -> ReadableSpan:
        ctx = self.context
        return ReadableSpan(
            name=self.name,
            context=SpanContext(ctx.trace_id, ctx.span_id, False, TraceFlags(TraceFlags.SAMPLED)),
            parent=self.parent,
            resource=resource,
            attributes={**self.attributes, PROCESS_ATTRIBUTE: WEB_PROCESS},
            kind=SpanKind.SERVER,
            status=Status(StatusCode.ERROR) if self.status >= 500 else Status(StatusCode.UNSET),
            start_time=self.start_ns,
            end_time=self.end_ns,
            instrumentation_scope=InstrumentationScope(__name__),
        )


# --- the trace context in event envelopes and Kafka headers --------------------


def current_trace_context() -> dict[str, str]:
    """The W3C traceparent (and tracestate) of the current span; empty when there
    is none, so an event published without tracing carries nothing."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def context_from(carrier: Mapping[str, str] | None) -> otel_context.Context:
    return propagate.extract(dict(carrier or {}))


def link_to(carrier: Mapping[str, str] | None) -> list[trace.Link]:
    span_context = trace.get_current_span(context_from(carrier)).get_span_context()
    return [trace.Link(span_context)] if span_context.is_valid else []


def headers_carrier(headers: list[tuple[str, bytes]] | None) -> dict[str, str]:
    """The trace headers of a Kafka message, as a carrier."""
    wanted = {"traceparent", "tracestate"}
    return {k: v.decode() for k, v in headers or [] if k in wanted and v is not None}


@contextmanager
def attached(ctx: otel_context.Context) -> Iterator[None]:
    token = otel_context.attach(ctx)
    try:
        yield
    finally:
        otel_context.detach(token)


def instrument_producer(producer):
    """The producer, traced (a send span per message, its context in the headers)
    when tracing is on; as it is otherwise."""
    if not tracing_configured():
        return producer
    from opentelemetry.instrumentation.confluent_kafka import ConfluentKafkaInstrumentor

    return ConfluentKafkaInstrumentor.instrument_producer(producer)


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)


REQUEST_SPAN_IDS = "trace_ids"  # the request's attribute: (trace_id, span_id) of its server span


def _remember_request_span(span: trace.Span, request) -> None:
    # The access line is written outside the server span (kernel.observability.
    # middleware): it takes the span's ids from the request.
    setattr(request, REQUEST_SPAN_IDS, ids_of_span(span))


def ids_of_current_span() -> tuple[str | None, str | None]:
    """(trace_id, span_id) in hex for logs, or (None, None) outside a span."""
    return ids_of_span(trace.get_current_span())


def ids_of_span(span: trace.Span) -> tuple[str | None, str | None]:
    span_context = span.get_span_context()
    if not span_context.is_valid:
        return None, None
    return format(span_context.trace_id, "032x"), format(span_context.span_id, "016x")
