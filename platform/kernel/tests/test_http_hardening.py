"""What every deployable does with hostile requests before and around its views:
the JSON parser's limits, the JSON error views, the probe, hygiene and no-store
middleware, and the security headers."""

import io
import json
import socket

import pytest
from django.db import connection
from django.test import Client
from rest_framework.exceptions import ParseError

from kernel.api.parsers import MAX_DEPTH, JSONParser, PayloadTooLarge
from kernel.db.outage import RETRY_AFTER_SECONDS, UNAVAILABLE

pytestmark = pytest.mark.urls("kernel.tests.hardening_urls")


def parse(body: bytes, **context):
    return JSONParser().parse(io.BytesIO(body), "application/json", context)


# --- the JSON parser ---------------------------------------------------------------


def test_json_as_deep_as_the_limit_is_parsed():
    assert parse(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) == json.loads(
        "[" * MAX_DEPTH + "]" * MAX_DEPTH
    )
    assert parse(b'{"a": {"b": [1, 2.5, "three", null, true]}}') == {
        "a": {"b": [1, 2.5, "three", None, True]}
    }


@pytest.mark.parametrize(
    "body",
    [
        b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1),  # one level too deep
        b'{"a":' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1),
        b"[" * 100_000 + b"]" * 100_000,  # RecursionError in json itself
    ],
)
def test_json_nested_too_deep_is_a_parse_error(body):
    with pytest.raises(ParseError, match=f"nested deeper than {MAX_DEPTH}"):
        parse(body)


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (b'{"title": "a\\u0000b"}', "title", "Null characters"),
        (b'{"photos": [{"caption": "\\u0000"}]}', "photos", "Null characters"),
        (b'{"title": "\\ud800"}', "title", "Surrogate characters"),
        (b'{"n": 9223372036854775808}', "n", "too large"),
        (b'{"n": -9223372036854775808}', "n", "too large"),
        (b'{"n": 1e999}', "n", "finite number"),
        (b'{"n": NaN}', "n", "finite number"),
        (b'{"n": -Infinity}', "n", "finite number"),
        (b'["\\u0000"]', "detail", "Null characters"),
    ],
)
def test_values_postgresql_cannot_store_are_refused_under_their_field(body, field, message):
    with pytest.raises(ParseError) as refused:
        parse(body)
    assert message in str(refused.value.detail[field][0])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"n": ' + b"7" * 5000 + b"}", "digits"),
        (b'{"title": "\xff\xfe"}', "not valid utf-8"),
        (b"{'single': 'quotes'}", "JSON parse error"),
    ],
)
def test_what_is_not_json_is_a_parse_error(body, message):
    with pytest.raises(ParseError, match=message):
        parse(body)


def test_the_widest_integer_a_column_holds_is_accepted():
    assert parse(b'{"n": 9223372036854775807}') == {"n": 2**63 - 1}


def test_a_body_over_the_limit_is_too_large_whatever_its_content_length(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    assert parse(b'{"a": "' + b"x" * 90 + b'"}') == {"a": "x" * 90}
    with pytest.raises(PayloadTooLarge):
        parse(b'{"a": "' + b"x" * 100 + b'"}')


def test_a_charset_that_is_not_a_text_encoding_is_refused():
    with pytest.raises(ParseError, match="charset"):
        parse(b"{}", encoding="bz2_codec")


# --- through the middleware and the error views -------------------------------------


def _json_error(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body
    return body


def test_an_unknown_path_is_a_json_404_without_the_url_list(client):
    body = _json_error(client.get("/no-such-path"), 404)
    assert body == {"detail": "Not found."}


def test_a_hostile_host_is_a_json_400_that_does_not_repeat_it(client):
    response = client.get("/echo", HTTP_HOST="evil.example")
    assert _json_error(response, 400) == {"detail": "Bad request."}
    assert b"evil.example" not in response.content


def test_an_unhandled_exception_is_a_json_500_without_the_traceback():
    client = Client(raise_request_exception=False)
    for path in ("/api-failure", "/page-failure"):
        response = client.get(path)
        assert _json_error(response, 500) == {"detail": "A server error occurred."}
        assert b"hunter2" not in response.content
        assert b"Traceback" not in response.content


@pytest.mark.django_db(transaction=True)
def test_a_database_that_refuses_connections_is_a_503_to_retry(monkeypatch):
    # What a failover looks like to a web pod: its next connection is refused. A port
    # bound but not listening refuses at once, as a stopped primary's address does.
    client = Client(raise_request_exception=False)
    assert client.post("/counting").json() == {"one": 1}
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        connection.close()
        monkeypatch.setitem(connection.settings_dict, "PORT", str(closed.getsockname()[1]))
        response = client.post("/counting")
    assert _json_error(response, 503) == {"detail": UNAVAILABLE}
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    monkeypatch.undo()
    connection.close()
    assert client.post("/counting").json() == {"one": 1}


def test_nested_json_through_drf_is_a_400_with_a_detail(client):
    response = client.post("/echo", b"[" * 1000 + b"]" * 1000, content_type="application/json")
    assert "nested deeper" in _json_error(response, 400)["detail"]


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/x-www-form-urlencoded", "text/plain"]
)
def test_a_body_over_the_limit_is_a_json_413_before_any_parser(client, settings, content_type):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = client.post("/echo", b"x" * 2048, content_type=content_type)
    assert _json_error(response, 413) == {"detail": "The request body is too large."}


def test_a_body_within_the_limit_reaches_the_view(client):
    response = client.post("/echo", {"a": "b" * 1000}, content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {"received": {"a": "b" * 1000}}


def test_a_nul_in_the_query_string_or_the_path_is_a_json_400(client):
    body = _json_error(client.get("/echo?city=a%00&page=2"), 400)
    assert body == {"city": ["Null characters are not allowed."]}
    _json_error(client.get("/echo%00"), 400)
    assert client.get("/echo?city=Lisbon").status_code == 200


def test_multipart_without_a_boundary_and_a_wrong_content_type_are_4xx(client):
    no_boundary = client.post("/echo", b"a=1", content_type="multipart/form-data")
    assert "boundary" in _json_error(no_boundary, 400)["detail"]
    _json_error(client.post("/echo", b"<a/>", content_type="application/xml"), 415)


def test_the_kubelets_probe_is_answered_whatever_the_host(client):
    # The kubelet sends Host: <pod ip>, which ALLOWED_HOSTS does not list.
    response = client.get("/healthz", HTTP_HOST="10.42.0.17:8000")
    assert response.status_code == 200
    assert response.json()["status"] == "alive"
    # ...while anything else from that host is refused.
    _json_error(client.get("/echo", HTTP_HOST="10.42.0.17:8000"), 400)


def test_responses_to_credentialed_or_unsafe_requests_are_never_stored(client, settings):
    assert "no-store" not in client.get("/echo").get("Cache-Control", "")
    signed_in = client.get("/echo", HTTP_AUTHORIZATION="Bearer x")
    assert signed_in["Cache-Control"] == "no-store"
    client.cookies[settings.SESSION_COOKIE_NAME] = "some-session"
    assert client.get("/echo")["Cache-Control"] == "no-store"
    posted = Client().post("/echo", {}, content_type="application/json")
    assert posted["Cache-Control"] == "no-store"


def test_every_response_carries_the_security_headers(client):
    for response in (client.get("/echo"), client.get("/no-such-path")):
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
