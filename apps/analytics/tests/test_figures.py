"""Analytics learns every past event from Kafka and its figures survive a rebuild:
a history of listings and applications written before analytics' consumer exists
is read from the first offset, the figures are what that history says, and a
replay from scratch gives the same figures. Then who sees what.

Real Kafka and PostgreSQL; the events go to throwaway topics of this test, made
and written as the cluster's administrator, so no live topic sees them.
"""

import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from django.conf import settings

from apps.analytics import selectors
from apps.analytics.consumers import facts
from apps.applications.contracts import (
    APPLICATION_APPROVED,
    APPLICATION_REJECTED,
    APPLICATION_SUBMITTED,
    APPLICATION_WITHDRAWN,
)
from apps.listings.contracts import LISTING_CREATED, LISTING_LET, LISTING_PUBLISHED
from kernel.auth.tokens import UserRefreshToken
from kernel.events.consumer import EventConsumer
from kernel.events.kafka import admin_config, producer_config
from kernel.events.replay import replay
from kernel.testing.auth import acting_as
from kernel.testing.events import envelope_for

pytestmark = pytest.mark.django_db(transaction=True)

LANDLORD = str(uuid.uuid4())
OTHER = str(uuid.uuid4())
ADMIN_VALUES = ("KAFKA_ADMIN_USERNAME", "KAFKA_ADMIN_PASSWORD")


def administrator() -> dict[str, str]:
    """The local stack's administrator values (var/secrets/env/provisioning.env), from
    the environment first as in CI."""
    path = Path(settings.BASE_DIR) / "var" / "secrets" / "env" / "provisioning.env"
    lines = path.read_text().splitlines() if path.exists() else []
    values = dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))
    return {name: os.environ.get(name, values.get(name, "")) for name in ADMIN_VALUES}


@pytest.fixture
def topics(settings):
    login = administrator()
    settings.KAFKA_USERNAME = login["KAFKA_ADMIN_USERNAME"]
    settings.KAFKA_PASSWORD = login["KAFKA_ADMIN_PASSWORD"]
    stamp = uuid.uuid4().hex[:8]
    names = (f"hearth.analytics.test-listings-{stamp}", f"hearth.analytics.test-apps-{stamp}")
    admin = AdminClient(admin_config())
    for future in admin.create_topics([NewTopic(n, 3, 1) for n in names]).values():
        future.result(30)
    yield names
    admin.delete_topics([*names, f"hearth.analytics.test-{stamp}.dlq"])


def listing(
    *, landlord: str, city: str, rent: int, bedrooms: int, status: str, at: datetime
) -> dict:
    return {
        "listing_id": str(uuid.uuid4()),
        "landlord_id": landlord,
        "status": status,
        "title": "A flat",
        "description": "",
        "street_address": "1 Main St",
        "city": city,
        "postal_code": "1000",
        "country": "PT",
        "latitude": None,
        "longitude": None,
        "monthly_rent": {"amount": f"{rent}.00", "currency": "EUR"},
        "deposit": {"amount": f"{rent}.00", "currency": "EUR"},
        "bedrooms": bedrooms,
        "bathrooms": 1,
        "area_sqm": None,
        "amenities": [],
        "pets_allowed": False,
        "available_from": "2027-01-01",
        "photos": [],
        "published_at": None if status == "draft" else at.isoformat(),
        "updated_at": at.isoformat(),
    }


def application(listing_id: str, landlord: str, status: str, at: datetime) -> dict:
    return {
        "application_id": str(uuid.uuid4()),
        "listing_id": listing_id,
        "listing_title": "A flat",
        "landlord_id": landlord,
        "renter_id": str(uuid.uuid4()),
        "renter_name": "R",
        "status": status,
        "move_in_date": "2027-01-01",
        "occupants": 1,
        "monthly_income": {"amount": "4000.00", "currency": "EUR"},
        "message": "",
        "submitted_at": at.isoformat(),
        "decided_at": None if status == "submitted" else (at + timedelta(hours=1)).isoformat(),
    }


def history() -> tuple[list, list]:
    """Lisbon 2-bedroom: rents 1000..1900, one let; Porto 1-bedroom: another landlord's."""
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    listings, applications = [], []
    for n, rent in enumerate(range(1000, 2000, 100)):
        snap = listing(
            landlord=LANDLORD, city="Lisbon", rent=rent, bedrooms=2, status="draft", at=start
        )
        published = {
            **snap,
            "status": "published",
            "published_at": start.isoformat(),
            "updated_at": (start + timedelta(minutes=1)).isoformat(),
        }
        listings += [
            envelope_for(LISTING_CREATED, {"listing": snap}, aggregate_id=snap["listing_id"]),
            envelope_for(
                LISTING_PUBLISHED, {"listing": published}, aggregate_id=snap["listing_id"]
            ),
        ]
        if n == 0:
            let = {
                **published,
                "status": "let",
                "updated_at": (start + timedelta(days=3)).isoformat(),
            }
            listings.append(
                envelope_for(LISTING_LET, {"listing": let}, aggregate_id=snap["listing_id"])
            )
            for event, status in (
                (APPLICATION_SUBMITTED, "submitted"),
                (APPLICATION_APPROVED, "approved"),
            ):
                applications.append(
                    _application_event(event, snap["listing_id"], status, start, keep=n)
                )
    porto = listing(
        landlord=OTHER, city="Porto", rent=800, bedrooms=1, status="published", at=start
    )
    listings.append(
        envelope_for(LISTING_PUBLISHED, {"listing": porto}, aggregate_id=porto["listing_id"])
    )
    for event, status in ((APPLICATION_REJECTED, "rejected"), (APPLICATION_WITHDRAWN, "withdrawn")):
        applications.append(
            _application_event(event, porto["listing_id"], status, start, landlord=OTHER)
        )
    return listings, applications


_ids: dict = {}


def _application_event(event, listing_id, status, at, *, keep=None, landlord=LANDLORD):
    body = application(listing_id, landlord, status, at)
    if keep is not None:  # the same application moving on
        body["application_id"] = _ids.setdefault((listing_id, keep), body["application_id"])
    return envelope_for(event, {"application": body}, aggregate_id=body["application_id"])


def write(topic: str, events: list) -> None:
    producer = Producer(producer_config())
    for envelope in events:
        producer.produce(topic, key=envelope.aggregate_id, value=envelope.to_json())
    assert producer.flush(30) == 0


def figures(landlord_id=None) -> dict:
    return {
        "rents": selectors.rents(landlord_id=landlord_id),
        "weekly": selectors.weekly_activity(landlord_id=landlord_id),
        "funnel": selectors.funnel(landlord_id=landlord_id),
        "time_to_let": selectors.time_to_let(landlord_id=landlord_id),
    }


def test_figures_from_the_first_event_and_the_same_after_a_rebuild(topics, client):
    listings_topic, applications_topic = topics
    listing_events, application_events = history()
    write(listings_topic, listing_events)
    write(applications_topic, application_events)

    spec = facts(f"hearth.analytics.test-{listings_topic.rsplit('-', 1)[1]}", *topics)
    stats = EventConsumer(spec).run(until_drained=True)  # a new group: from the first offset
    assert stats.applied == len(listing_events) + len(application_events)
    assert stats.dead_lettered == 0
    first = figures()
    lisbon = next(r for r in first["rents"] if r["city"] == "Lisbon")
    assert (lisbon["listings"], lisbon["median"], lisbon["p90"]) == (10, 1450, 1810)
    monday = datetime(2026, 11, 2, tzinfo=UTC).date()
    assert first["weekly"] == [{"week": monday, "published": 11, "let": 1}]
    assert first["funnel"] == {
        "submitted": 3,
        "approved": 1,
        "rejected": 1,
        "withdrawn": 1,
        "closed": 0,
        "open": 0,
    }
    (lisbon_let,) = first["time_to_let"]
    assert (lisbon_let["city"], lisbon_let["let"]) == ("Lisbon", 1)
    assert round(lisbon_let["median_days"], 2) == 3.0

    replay(spec)  # from scratch: facts and inbox emptied, offsets at the first event
    EventConsumer(spec).run(until_drained=True)
    assert figures() == first

    # Who sees what: a landlord their own markets, staff everything, renters nothing.
    own = client.get("/api/v1/analytics/rents", headers=bearer(LANDLORD, "landlord"))
    assert [r["city"] for r in own.json()["results"]] == ["Lisbon"]
    everything = client.get(
        "/api/v1/analytics/rents", headers=bearer(str(uuid.uuid4()), "renter", staff=True)
    )
    assert {r["city"] for r in everything.json()["results"]} == {"Lisbon", "Porto"}
    funnel = client.get("/api/v1/analytics/funnel", headers=bearer(OTHER, "landlord")).json()
    assert (funnel["submitted"], funnel["rejected"], funnel["withdrawn"]) == (2, 1, 1)
    renter = client.get("/api/v1/analytics/funnel", headers=bearer(str(uuid.uuid4()), "renter"))
    assert renter.status_code == 403
    assert client.get("/api/v1/analytics/activity").status_code == 401


def bearer(user_id: str, role: str, *, staff: bool = False) -> dict[str, str]:
    with acting_as("accounts"):
        refresh = UserRefreshToken()
        refresh.payload.update({"sub": user_id, "role": role, "email": "", "name": ""})
        if staff:
            refresh.payload["staff"] = True
        return {"Authorization": f"Bearer {refresh.access_token}"}
