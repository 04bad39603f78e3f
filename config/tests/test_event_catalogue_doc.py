"""docs/events.md's catalogue is every context's declared events, no more, no less:
held to the catalogues here, and to each deployable's consumers in its own suite
(kernel.testing.deployable_contract)."""

import importlib

from django.conf import settings
from django.utils.module_loading import import_string

from config.services import SERVICES
from kernel.testing.catalogue_doc import catalogue_rows

DOC = settings.BASE_DIR / "docs" / "events.md"


def _catalogues() -> list:
    paths = ["kernel.testing.probe.EVENTS"]
    for name in SERVICES:
        paths += importlib.import_module(f"config.settings.{name}").HEARTH_EVENT_CATALOGUES
    return [import_string(path) for path in paths]


def test_the_doc_lists_every_declared_event_and_nothing_else():
    documented = {
        (row.topic, row.event, row.version, row.aggregate)
        for row in catalogue_rows(DOC)
        if row.event is not None
    }
    declared = {
        (event.topic, event.name, event.version, event.aggregate_type)
        for catalogue in _catalogues()
        for event in catalogue.events.values()
    }
    assert documented - declared == set(), "in docs/events.md, declared nowhere"
    assert declared - documented == set(), "declared, missing from docs/events.md"


def test_every_topic_has_a_row_and_one_without_events_says_so():
    rows = catalogue_rows(DOC)
    catalogues = _catalogues()
    assert {row.topic for row in rows} == {catalogue.topic for catalogue in catalogues}
    empty = {row.topic for row in rows if row.event is None}
    assert empty == {catalogue.topic for catalogue in catalogues if not catalogue.events}
