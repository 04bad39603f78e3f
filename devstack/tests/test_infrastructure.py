"""The local stack runs the real servers: a message through Kafka, a document
through Elasticsearch, a mail through SMTP, each signed in as the kernel tests'
deployable (its own Kafka principal and Elasticsearch user)."""

import email
import time
import uuid

import pytest
from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from django.conf import settings
from django.core.mail import send_mail
from elasticsearch import Elasticsearch

from kernel.events.kafka import admin_config, consumer_config, producer_config

pytestmark = pytest.mark.integration


def test_kafka_round_trip():
    # Under the prefix the kernel tests' principal owns (HEARTH_KAFKA_OWNED_PREFIX).
    topic = f"{settings.HEARTH_KAFKA_OWNED_PREFIX}roundtrip-{uuid.uuid4().hex[:8]}"
    admin = AdminClient(admin_config())
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(30)
    try:
        producer = Producer(producer_config())
        producer.produce(topic, key=b"listing-1", value=b'{"rent": 1200}')
        assert producer.flush(10) == 0

        consumer = Consumer(consumer_config(group_id=topic))
        consumer.subscribe([topic])
        try:
            message = None
            deadline = time.monotonic() + 30
            while message is None and time.monotonic() < deadline:
                polled = consumer.poll(1.0)
                if polled is not None and polled.error() is None:
                    message = polled
                elif polled is not None and polled.error().code() != KafkaError._PARTITION_EOF:
                    raise AssertionError(polled.error())
        finally:
            consumer.close()
    finally:
        admin.delete_topics([topic])
    assert message is not None, "nothing consumed within 30 s"
    assert (message.key(), message.value()) == (b"listing-1", b'{"rent": 1200}')


def test_elasticsearch_index_and_search():
    client = Elasticsearch(settings.ELASTICSEARCH_URL, request_timeout=30)
    index = f"kernel_tests-listings-{uuid.uuid4().hex[:8]}"  # its user's own indices
    try:
        client.index(index=index, id="1", document={"title": "Sunny loft near the river"})
        client.index(index=index, id="2", document={"title": "Basement studio"})
        client.indices.refresh(index=index)
        hits = client.search(index=index, query={"match": {"title": "river loft"}})["hits"]["hits"]
    finally:
        client.indices.delete(index=index, ignore_unavailable=True)
    assert [hit["_id"] for hit in hits] == ["1"]


def test_smtp_keeps_every_message_as_eml(maildir, settings):
    # pytest-django swaps in the in-memory backend; this test is about the real server.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    subject = f"Your application was received {uuid.uuid4().hex}"
    send_mail(subject, "We will let you know.", None, ["renter@example.com"])
    deadline = time.monotonic() + 10
    while True:
        matches = [p for p in maildir.glob("*.eml") if subject in p.read_text(errors="replace")]
        if matches or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert len(matches) == 1
    message = email.message_from_bytes(matches[0].read_bytes())
    assert message["Subject"] == subject
    assert message["To"] == "renter@example.com"
    assert message.get_payload().strip() == "We will let you know."
