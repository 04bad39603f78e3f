"""What a deployable publishes and consumes, looked up from its settings, so the
kernel's commands serve every context without importing any."""

from django.conf import settings
from django.utils.module_loading import import_string

from kernel.events.consumer import ConsumerSpec
from kernel.events.types import EventCatalogue


def published_catalogues() -> list[EventCatalogue]:
    return [import_string(path) for path in settings.HEARTH_EVENT_CATALOGUES]


def consumer_specs() -> dict[str, ConsumerSpec]:
    specs = [import_string(path) for path in settings.HEARTH_EVENT_CONSUMERS]
    return {spec.group_id: spec for spec in specs}


def consumer_spec(group_id: str) -> ConsumerSpec:
    specs = consumer_specs()
    if group_id not in specs:
        raise KeyError(f"no consumer {group_id!r} in this deployable; it has {sorted(specs)}")
    return specs[group_id]


def owned_topics() -> list[str]:
    """The topics this deployable writes: its own event topics and its dead letters."""
    topics = [catalogue.topic for catalogue in published_catalogues()]
    topics += [spec.dead_letter_topic for spec in consumer_specs().values()]
    return topics
