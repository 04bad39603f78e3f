"""The sampling policy (kernel.observability.tracing): parent-based, no trace rooted
in a background client call, and what the ratio leaves out kept when its local root
fails or is slow. Pure logic: a tracer provider of its own, exporting to memory."""

import time

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

from kernel.observability import tracing


def tracer_at(ratio: str, monkeypatch, slow_seconds: float = 0.05):
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", ratio)
    monkeypatch.delenv("OTEL_TRACES_SAMPLER", raising=False)
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=tracing._sampler(keep_slow=True))
    processor = SimpleSpanProcessor(exporter)
    provider.add_span_processor(
        tracing.KeepErrorsAndSlow(processor, process="web", slow_seconds=slow_seconds)
    )
    return provider.get_tracer(__name__), exporter


def names(exporter) -> list[str]:
    return sorted(span.name for span in exporter.get_finished_spans())


def test_unsampled_traces_are_kept_only_when_they_fail_or_are_slow(monkeypatch):
    tracer, exporter = tracer_at("0", monkeypatch)  # the coin always says no
    with tracer.start_as_current_span("fast"), tracer.start_as_current_span("fast child"):
        pass
    with tracer.start_as_current_span("failed") as failed:
        with tracer.start_as_current_span("failed child"):
            pass
        failed.set_status(Status(StatusCode.ERROR))
    with tracer.start_as_current_span("slow"), tracer.start_as_current_span("slow child"):
        time.sleep(0.06)
    assert names(exporter) == ["failed", "failed child", "slow", "slow child"]
    kept = exporter.get_finished_spans()
    assert all(span.context.trace_flags.sampled for span in kept)
    assert {span.attributes["hearth.process"] for span in kept} == {"web"}


def test_sampled_roots_are_kept_and_background_client_calls_start_no_trace(monkeypatch):
    tracer, exporter = tracer_at("1.0", monkeypatch, slow_seconds=10)
    with (
        tracer.start_as_current_span("request"),
        tracer.start_as_current_span("SELECT", kind=SpanKind.CLIENT),
    ):
        pass
    with tracer.start_as_current_span("BRPOP", kind=SpanKind.CLIENT):  # a poller's
        time.sleep(0.01)
    assert names(exporter) == ["SELECT", "request"]
