"""The event backbone as the operators see it, against the real PostgreSQL and Kafka:
/metrics shows the outbox backlog and a consumer group's lag grow while the relay
and the consumer are stopped and fall back once they run; and one trace follows an
event from the span that published it through the relay's send to the consumer."""

import time

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client.parser import text_string_to_metric_families

from kernel.events.consumer import EventConsumer
from kernel.events.outbox import wait_until_published
from kernel.events.topics import TopicPolicy, ensure_topics
from kernel.observability.live import render_web_metrics
from kernel.observability.tracing import KeepErrorsAndSlow
from kernel.testing.probe import EVENTS, RECORDER
from kernel.tests.conftest import events_db, events_transactions, fresh_topics  # noqa: F401 - fixtures
from kernel.tests.eventing import RelayThread, write_events

pytestmark = [pytest.mark.integration, events_transactions, pytest.mark.usefixtures("events_db")]


def scrape() -> dict[tuple[str, tuple], float]:
    """What /metrics answers (its middleware needs apps these tests leave out)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(render_web_metrics().decode())
        for sample in family.samples
    }


def lag(samples) -> float:
    return sum(
        value
        for (name, labels), value in samples.items()
        if name == "hearth_consumer_lag" and ("group", RECORDER.group_id) in labels
    )


def drain() -> None:
    ensure_topics([RECORDER.dead_letter_topic], TopicPolicy.from_settings())
    EventConsumer(RECORDER).run(until_drained=True)


def relay_everything() -> None:
    with RelayThread():
        wait_until_published(timeout=30)


def eventually(condition, timeout: float = 10.0) -> bool:
    """Offsets are committed asynchronously: a scrape right after may be a step behind."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_backlog_and_lag_rise_while_the_relay_and_consumer_are_stopped():
    drain()  # whatever earlier tests left on the topic for this group
    assert eventually(lambda: lag(scrape()) == 0)
    before = scrape()
    assert before[("hearth_outbox_backlog", ())] == 0
    assert before[("hearth_ready", (("check", "kafka"),))] == 1

    write_events(5, aggregates=2, note="metrics")  # no relay runs
    stalled = scrape()
    assert stalled[("hearth_outbox_backlog", ())] == 5
    assert stalled[("hearth_outbox_oldest_unpublished_age_seconds", ())] > 0

    relay_everything()
    published = scrape()
    assert published[("hearth_outbox_backlog", ())] == 0
    assert published[("hearth_outbox_oldest_unpublished_age_seconds", ())] == 0
    assert lag(published) == 5  # on Kafka, not yet consumed: the consumer is stopped

    drain()
    assert eventually(lambda: lag(scrape()) == 0)
    partitions = {labels for name, labels in published if name == "hearth_consumer_lag"}
    assert {dict(labels)["topic"] for labels in partitions} == {EVENTS.topic}


@pytest.fixture(scope="module")
def spans():
    """This process's tracer, exporting to memory (the API's global is set once)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(
        KeepErrorsAndSlow(SimpleSpanProcessor(exporter), process="test", slow_seconds=0.5)
    )
    trace.set_tracer_provider(provider)
    yield exporter
    provider.shutdown()  # later tests' spans go nowhere


def test_a_consumed_event_continues_the_trace_that_published_it(spans):
    tracer = trace.get_tracer(__name__)
    with tracer.start_as_current_span("request") as request:
        [envelope] = write_events(1, aggregates=1, note="traced")
    assert envelope.trace_context["traceparent"].split("-")[1] == format(
        request.get_span_context().trace_id, "032x"
    )
    relay_everything()
    drain()

    finished = spans.get_finished_spans()
    trace_id = request.get_span_context().trace_id
    consumed = [
        span
        for span in finished
        if span.kind is SpanKind.CONSUMER
        and span.attributes.get("messaging.message.id") == str(envelope.event_id)
    ]
    assert len(consumed) == 1
    assert consumed[0].context.trace_id == trace_id
    assert consumed[0].parent.span_id == request.get_span_context().span_id
    assert consumed[0].attributes["hearth.process"] == "test"
    # The relay's batch links to the event's trace.
    batches = [s for s in finished if s.name == "outbox publish"]
    assert any(link.context.trace_id == trace_id for s in batches for link in s.links)
