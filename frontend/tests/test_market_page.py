"""The landlord's market page: analytics' figures of their markets, drawn as SVG on
the server, with the numbers beside them; renters are refused. Against the
running platform."""

import time
import uuid

from django.test import Client

from devstack.api_client import Api, create_staff_account

PASSWORD = "a-long-test-passphrase"


def _signed_in(client: Client, role: str) -> Api:
    email = f"{role}-{uuid.uuid4().hex[:10]}@example.test"
    form = {"full_name": f"Market {role}", "email": email, "password": PASSWORD, "role": role}
    assert client.post("/signup", form).status_code == 302
    return Api().sign_in(email=email, password=PASSWORD)


def test_a_landlord_sees_their_market_drawn_and_a_renter_is_refused(client):
    landlord = _signed_in(client, "landlord")
    city = f"Marketville {uuid.uuid4().hex[:6]}"  # a market of this test alone
    published = []
    for rent in ("1000.00", "2000.00"):
        created = landlord.create_listing(
            city=city, bedrooms=2, monthly_rent={"amount": rent, "currency": "EUR"}
        )
        published.append(landlord.publish(created["id"])["id"])
    # Events reach analytics' read model eventually, one listing after the other:
    # wait for the median of both, 1000 and 2000 (this landlord has no other market).
    deadline = time.monotonic() + 15
    while "1500 EUR" not in (page := client.get("/landlord/market").content.decode()):
        assert time.monotonic() < deadline, "analytics never counted both listings"
        time.sleep(0.3)
    assert "<svg" in page
    assert "<rect" in page
    assert f"{city}, 2 bedrooms" in page

    renter = Client()
    _signed_in(renter, "renter")
    assert renter.get("/landlord/market").status_code == 403
    for listing_id in published:  # out of search again, for the demo's pages
        landlord.request("POST", f"/api/v1/listings/{listing_id}/unpublish")


def test_staff_see_every_market_on_the_operations_page_and_landlords_are_refused(client):
    landlord = _signed_in(Client(), "landlord")
    city = f"Opsville {uuid.uuid4().hex[:6]}"  # a landlord's market, not the staff member's
    created = landlord.create_listing(city=city, bedrooms=1)
    listing_id = landlord.publish(created["id"])["id"]

    email = f"staff-{uuid.uuid4().hex[:10]}@example.test"
    create_staff_account(email=email, password=PASSWORD, full_name="Olga Operations")
    signed_in = client.post("/signin", {"email": email, "password": PASSWORD})
    assert signed_in.status_code == 302
    deadline = time.monotonic() + 15  # events reach analytics' read model eventually
    while city not in (page := client.get("/operations/market").content.decode()):
        assert time.monotonic() < deadline, "the operations page never showed the market"
        time.sleep(0.3)
    assert "<h1>All markets</h1>" in page
    assert "<svg" in page
    assert f"{city}, 1 bedroom" in page
    assert 'href="/operations/market"' in page  # staff find it in the navigation

    landlords = Client()
    _signed_in(landlords, "landlord")
    assert landlords.get("/operations/market").status_code == 403
    assert city not in landlords.get("/landlord/market").content.decode()  # not their market
    assert Client().get("/operations/market").status_code == 302  # sign in first
    landlord.request("POST", f"/api/v1/listings/{listing_id}/unpublish")
