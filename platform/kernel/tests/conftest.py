import time

import pytest
from confluent_kafka.admin import AdminClient
from django.db import connection

from kernel.events.kafka import admin_config
from kernel.events.registry import owned_topics
from kernel.events.topics import TopicPolicy, ensure_topics
from kernel.testing.probe import EFFECTS_TABLE, create_effects_table


@pytest.fixture(scope="session")
def fresh_topics():
    """The kernel tests' topics, emptied once per session: they keep events forever,
    and every test reads them from the beginning."""
    topics = owned_topics()
    admin = AdminClient(admin_config())
    existing = [t for t in topics if t in admin.list_topics(timeout=15).topics]
    for future in admin.delete_topics(existing, operation_timeout=30).values() if existing else []:
        future.result(30)
    deadline = time.monotonic() + 60
    while set(existing) & set(admin.list_topics(timeout=15).topics):
        assert time.monotonic() < deadline, "topics were not deleted in 60 s"
        time.sleep(0.5)
    while True:
        try:
            ensure_topics(topics, TopicPolicy.from_settings())
            break
        except Exception:  # a just-deleted topic can be refused for a moment
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
    return topics


# Real commits, since the relay and consumers run in other threads and processes.
# available_apps keeps the flush after each test to the kernel's tables, without
# re-creating content types and permissions every time.
events_transactions = pytest.mark.django_db(transaction=True, available_apps=["kernel"])


@pytest.fixture
def events_db(fresh_topics):
    """Empty effects table; use with the events_transactions mark."""
    create_effects_table()
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {EFFECTS_TABLE}")
