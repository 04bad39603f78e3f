"""Web requests drawn at the door (kernel.observability.tracing.Door and the
DrawnAtTheDoor middleware): a drawn request goes through OpenTelemetry's Django
middleware; any other runs under an unsampled span, cheap for everything under it,
and only its server span is exported if it failed or was slow. Pure logic: a
tracer provider of its own, exporting to memory."""

import time

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from kernel.observability import middleware, tracing

PARENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN = "00f067aa0ba902b7"


@pytest.fixture
def exported():
    return InMemorySpanExporter()


def door_of(exported, *, ratio: float, slow_seconds: float = 0.05) -> tracing.Door:
    keep = tracing.KeepErrorsAndSlow(
        SimpleSpanProcessor(exported), process="web", slow_seconds=slow_seconds
    )
    return tracing.Door(
        ratio=ratio, slow_seconds=slow_seconds, keep=keep, resource=Resource.create({})
    )


def parent(door: tracing.Door, flags: str):
    return door.parent_of({"traceparent": f"00-{PARENT_TRACE}-{PARENT_SPAN}-{flags}"})


def test_the_draw_follows_the_parent_and_else_the_ratio(exported):
    never, always = door_of(exported, ratio=0.0), door_of(exported, ratio=1.0)
    assert never.draws(parent(never, "01"))
    assert not always.draws(parent(always, "00"))
    no_parent = never.parent_of({})
    assert not never.draws(no_parent)
    assert always.draws(no_parent)
    tenth = door_of(exported, ratio=0.1)
    drawn = sum(tenth.draws(no_parent) for _ in range(20_000))
    assert 1_700 < drawn < 2_300


def test_an_unsampled_request_runs_under_a_span_that_records_nothing(exported):
    door = door_of(exported, ratio=0.0)
    provider = TracerProvider(sampler=tracing._door_sampler())
    provider.add_span_processor(SimpleSpanProcessor(exported))
    with door.unsampled(parent(door, "00")) as request:
        current = trace.get_current_span().get_span_context()
        under = provider.get_tracer(__name__).start_span("SELECT", kind=SpanKind.CLIENT)
        under.end()
        request.status = 200
    assert format(current.trace_id, "032x") == PARENT_TRACE  # the parent's trace
    assert not current.trace_flags.sampled  # so each hop downstream is told
    assert request.ids == (PARENT_TRACE, format(current.span_id, "016x"))  # for the logs
    assert not under.is_recording()
    assert exported.get_finished_spans() == ()  # fast and fine: nothing at all


def test_a_failed_or_slow_unsampled_request_exports_its_server_span_alone(exported):
    door = door_of(exported, ratio=0.0, slow_seconds=0.05)
    with door.unsampled(door.parent_of({})) as failed:
        failed.status, failed.name = 503, "GET api/v1/listings"
    with door.unsampled(parent(door, "00")) as slow:
        slow.status, slow.name = 200, "GET api/v1/listings/<uuid:pk>"
        time.sleep(0.06)
    with door.unsampled(door.parent_of({})) as fine:
        fine.status = 200
    spans = {span.name: span for span in exported.get_finished_spans()}
    assert set(spans) == {"GET api/v1/listings", "GET api/v1/listings/<uuid:pk>"}
    error, late = spans["GET api/v1/listings"], spans["GET api/v1/listings/<uuid:pk>"]
    assert error.status.status_code is StatusCode.ERROR
    assert error.kind is SpanKind.SERVER
    assert error.parent is None
    assert error.attributes[tracing.PROCESS_ATTRIBUTE] == "web"
    assert (format(error.context.trace_id, "032x"), format(error.context.span_id, "016x")) == (
        failed.ids
    )
    assert late.status.status_code is StatusCode.UNSET
    assert format(late.parent.span_id, "016x") == PARENT_SPAN  # under its caller's span
    assert late.end_time - late.start_time >= 50_000_000


def test_the_middleware_sends_only_drawn_requests_through_the_instrumentation(
    exported, monkeypatch
):
    traced = []

    class Instrumented:  # stands for OpenTelemetry's Django middleware
        def __init__(self, get_response):
            self.get_response = get_response

        def __call__(self, request):
            traced.append(request.path)
            return self.get_response(request)

    monkeypatch.setattr(
        "opentelemetry.instrumentation.django.middleware.otel_middleware._DjangoMiddleware",
        Instrumented,
    )
    monkeypatch.setattr(tracing.Door, "current", door_of(exported, ratio=0.0))
    door = middleware.DrawnAtTheDoor(lambda request: HttpResponse(status=500))
    factory = RequestFactory()

    drawn = factory.get("/drawn", HTTP_TRACEPARENT=f"00-{PARENT_TRACE}-{PARENT_SPAN}-01")
    assert door(drawn).status_code == 500
    left_out = factory.get("/left-out")
    assert door(left_out).status_code == 500

    assert traced == ["/drawn"]
    [kept] = exported.get_finished_spans()  # the left-out one failed: its span is kept
    assert kept.attributes["http.status_code"] == 500
    assert getattr(left_out, tracing.REQUEST_SPAN_IDS)[0] == format(kept.context.trace_id, "032x")
