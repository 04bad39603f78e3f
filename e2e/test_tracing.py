"""One trace follows a renter's application across the platform (docs/observability.md):
through the gateway into the front end (the listing's page, from listings; its form,
sent to applications), the application's outbox row, the relay's send to Kafka, the
notifications consumer, the Celery task and its SMTP send, all in Zipkin under one
trace id.

The test starts the trace itself: its page and form requests carry a sampled W3C
traceparent, which the gateway passes on and every hop continues. Local stack only: it reads
Zipkin's API and the deployables' log files."""

import json
import re
import secrets
import time
import urllib.error
import urllib.request
import uuid
from datetime import date, timedelta

import pytest
import requests

from devstack.api_client import TARGET, Api, Mailbox
from devstack.layout import HOST, LOG_DIR
from devstack.observability import ZIPKIN_PORT

pytestmark = pytest.mark.local_stack(reason="reads Zipkin and the logs of the local stack")

SEND_TASK = "run/notifications.send_notification"
PASSWORD = "a-long-traced-passphrase"


def zipkin_trace(trace_id: str) -> list[dict]:
    url = f"http://{HOST}:{ZIPKIN_PORT}/api/v2/trace/{trace_id}"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        if error.code == 404:  # no span of it has arrived yet
            return []
        raise


def wait_for_trace(trace_id: str, complete, timeout: float = 40.0) -> list[dict]:
    """The trace once `complete(spans)` holds: spans arrive from each process's
    batch exporter (every second locally), so the last hops come last."""
    deadline = time.monotonic() + timeout
    spans = zipkin_trace(trace_id)
    while not complete(spans) and time.monotonic() < deadline:
        time.sleep(0.5)
        spans = zipkin_trace(trace_id)
    return spans


def services_of(spans: list[dict]) -> set[str]:
    return {span["localEndpoint"]["serviceName"] for span in spans}


def csrf_token(page: requests.Response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def apply_in_the_browser(renter: Api, listing_id: str, traceparent: str) -> None:
    """As a browser would, through the gateway: sign in, open the listing's page
    and send its form. The page and the form carry the trace's header (a browser's
    own instrumentation would), so the front end, listings and applications join
    the trace. Retried while the listing is on its way to applications' read model."""
    browser = TARGET.session()
    signin = browser.get(TARGET.url("/signin"), timeout=10)
    browser.post(
        TARGET.url("/signin"),
        data={
            "csrfmiddlewaretoken": csrf_token(signin),
            "email": renter.user["email"],
            "password": PASSWORD,
        },
        timeout=10,
    )
    traced = {"traceparent": traceparent}
    page = browser.get(TARGET.url(f"/listings/{listing_id}"), headers=traced, timeout=10)
    assert page.status_code == 200, page.text[:300]
    form = {
        "csrfmiddlewaretoken": csrf_token(page),
        "move_in_date": (date.today() + timedelta(days=45)).isoformat(),
        "occupants": "2",
        "income_amount": "5200.00",
        "income_currency": "EUR",
        "message": "Traced, end to end.",
    }
    deadline = time.monotonic() + 10
    while True:
        sent = browser.post(
            TARGET.url(f"/listings/{listing_id}/apply"),
            data=form,
            headers={**traced, "Referer": TARGET.url(f"/listings/{listing_id}")},
            allow_redirects=False,
            timeout=10,
        )
        if sent.status_code == 302 or time.monotonic() > deadline:
            assert sent.status_code == 302, sent.text[:500]
            return
        time.sleep(0.2)


def test_one_trace_holds_an_application_from_the_gateway_to_smtp(api: Api, mailbox: Mailbox):
    landlord = api.new_user(role="landlord")
    renter = api.new_user(role="renter", password=PASSWORD)
    title = f"Traced loft {uuid.uuid4().hex[:8]}"
    listing = landlord.publish(landlord.create_listing(title=title)["id"])

    trace_id, browser_span = secrets.token_hex(16), secrets.token_hex(8)
    apply_in_the_browser(renter, listing["id"], f"00-{trace_id}-{browser_span}-01")
    mailbox.wait_for(lambda m: m.to == landlord.user["email"] and title in m.subject)

    def complete(spans: list[dict]) -> bool:
        # Each process exports on its own clock, so the front end's spans may come
        # after the chain's last hop: wait for every one the test reads, and for
        # every parent (the chain is whole; the browser's span is never exported).
        names = {span.get("name") for span in spans}
        known = {span["id"] for span in spans} | {browser_span, None}
        kinds = {(span["localEndpoint"]["serviceName"], span.get("kind")) for span in spans}
        return (
            SEND_TASK in names
            and "smtp send" in names
            and {
                ("frontend", "SERVER"),
                ("listings", "SERVER"),
                ("applications", "SERVER"),
                ("applications", "PRODUCER"),  # the relay's send
            }
            <= kinds
            and all(span.get("parentId") in known for span in spans)
            # The event consumer's span, not only the Celery worker's (also a CONSUMER).
            and any(
                span["localEndpoint"]["serviceName"] == "notifications"
                and span.get("kind") == "CONSUMER"
                and span.get("tags", {}).get("hearth.process") == "consumer"
                for span in spans
            )
        )

    spans = wait_for_trace(trace_id, complete)
    by_id = {span["id"]: span for span in spans}
    services = services_of(spans)
    assert len(services) >= 4, f"spans only from {sorted(services)}"
    names = sorted({(span["localEndpoint"]["serviceName"], span["name"]) for span in spans})
    assert complete(spans), f"trace {trace_id} holds only {names}"

    def of(service: str, kind: str | None = None, name: str | None = None) -> list[dict]:
        return [
            span
            for span in spans
            if span["localEndpoint"]["serviceName"] == service
            and (kind is None or span.get("kind") == kind)
            and (name is None or span.get("name") == name)
        ]

    def ancestors(span: dict) -> list[dict]:
        chain = []
        while span.get("parentId") in by_id:
            span = by_id[span["parentId"]]
            chain.append(span)
        return chain

    # The front end's page asked listings; its form's call reached applications,
    # which wrote the application (and its outbox row) in PostgreSQL.
    assert of("frontend", "SERVER")
    assert of("listings", "SERVER")
    posts = [s for s in of("applications", "SERVER") if s["tags"].get("http.method") == "POST"]
    [request] = [s for s in posts if s["tags"].get("http.status_code") == "201"]
    call = by_id[request["parentId"]]
    assert (call["localEndpoint"]["serviceName"], call["kind"]) == ("frontend", "CLIENT")
    assert any(s["tags"].get("db.system.name") == "postgresql" for s in of("applications"))
    # The relay's send, continuing the request's trace (its envelope's context).
    [send] = [s for s in of("applications", "PRODUCER") if "send" in s["name"]]
    assert send["tags"]["hearth.process"] == "relay"
    assert request in ancestors(send)
    # The notifications consumer continues it too, and the Celery task continues that.
    [consumed] = [
        s for s in of("notifications", "CONSUMER") if s["tags"].get("hearth.process") == "consumer"
    ]
    assert consumed["tags"]["messaging.consumer.group.name"] == "hearth.notifications"
    assert consumed["tags"]["hearth.event_type"] == "applications.application_submitted"
    assert request in ancestors(consumed)
    [task] = of("notifications", name=SEND_TASK)
    assert task["tags"]["hearth.process"] == "worker"
    assert consumed in ancestors(task)
    [smtp] = of("notifications", name="smtp send")
    assert task in ancestors(smtp)
    # Time runs forward along the chain.
    assert request["timestamp"] <= send["timestamp"] <= consumed["timestamp"] <= task["timestamp"]

    # The JSON logs of the request carry the same trace id.
    lines = (LOG_DIR / "applications.log").read_text().splitlines()[-2000:]
    logged = [json.loads(line) for line in lines if trace_id in line]
    assert any(line.get("path") == "/api/v1/applications" for line in logged)
