import io
import json
import logging
import logging.config

import pytest

from kernel.observability.context import accept_request_id, request_id_var
from kernel.observability.logging import logging_config


@pytest.fixture
def json_log_stream(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr("sys.stdout", stream)
    logging.config.dictConfig(logging_config(service="listings"))
    yield stream
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


def test_log_lines_are_json_with_service_level_and_request_id(json_log_stream):
    token = request_id_var.set("req-123")
    try:
        logging.getLogger("hearth.test").warning("listing published", extra={"listing_id": 7})
    finally:
        request_id_var.reset(token)
    line = json.loads(json_log_stream.getvalue().splitlines()[-1])
    assert line["message"] == "listing published"
    assert line["level"] == "WARNING"
    assert line["service"] == "listings"
    assert line["request_id"] == "req-123"
    assert line["listing_id"] == 7
    assert "timestamp" in line


@pytest.mark.parametrize(
    "candidate",
    [None, "", "x" * 129, "bad id with spaces", "line\nbreak"],
)
def test_unusable_request_ids_are_replaced(candidate):
    replaced = accept_request_id(candidate)
    assert replaced != candidate
    assert len(replaced) == 32


def test_a_callers_request_id_is_kept():
    assert accept_request_id("4bf92f3577b34da6-a3ce929d0e0e4736") == (
        "4bf92f3577b34da6-a3ce929d0e0e4736"
    )


def test_response_echoes_the_callers_request_id(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"


def test_response_carries_a_new_request_id_when_none_was_sent(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert first != second
    assert len(first) == 32


def test_access_log_line_names_the_request(client, caplog):
    with caplog.at_level(logging.INFO, logger="hearth.access"):
        client.get("/healthz", HTTP_X_REQUEST_ID="trace-me")
    record = next(r for r in caplog.records if r.name == "hearth.access")
    assert record.path == "/healthz"
    assert record.status == 200
    assert record.request_id == "trace-me"


def test_repeated_client_lines_are_let_through_once_per_interval():
    from kernel.observability.logging import RepeatFilter

    repeats = RepeatFilter(interval_seconds=60)

    def record(message: str) -> logging.LogRecord:
        return logging.LogRecord("kernel.kafka", logging.ERROR, __file__, 1, message, (), None)

    refused = "Connect to 127.0.0.1:9092 failed: Connection refused (after {}ms)"
    assert repeats.filter(record(refused.format(0)))
    assert not repeats.filter(record(refused.format(3)))  # same kind, other numbers
    assert repeats.filter(record("Broker: Coordinator load in progress"))
