"""The rental journey across every deployable, each its own process: a landlord
lists, a renter finds and applies, the landlord decides, and both hear by email.

Runs against whatever HEARTH_BASE_URL names (devstack/api_client.py): the local
gateway, or the cluster's Ingress over HTTPS. Only the SMTP-outage test is
local_stack: it stops the local sink through supervisord."""

import re
import time
import uuid

import pytest
import requests

from devstack.api_client import TARGET, Api, Mailbox, create_staff_account
from devstack.supervise import supervisorctl


def _unique_title() -> str:
    return f"Sunny loft {uuid.uuid4().hex[:8]}"


def _published_listing(landlord: Api, **fields) -> dict:
    listing = landlord.create_listing(title=_unique_title(), **fields)
    return landlord.publish(listing["id"])


def _notifications(user: Api) -> list[dict]:
    return user.call("GET", "/api/v1/notifications")["results"]


def test_the_whole_rental_journey(api: Api, mailbox: Mailbox):
    # 1. A landlord and a renter register (and are welcomed).
    landlord = api.new_user(role="landlord", name="Lena Landlord")
    renter = api.new_user(role="renter", name="Rui Renter")
    for user in (landlord, renter):
        mailbox.wait_for(lambda m, u=user: m.to == u.user["email"] and "Welcome" in m.subject)

    # 2. The landlord creates and publishes a listing.
    listing = _published_listing(landlord, city="Porto", bedrooms=3)
    assert listing["status"] == "published"

    # 3. Search finds it, by free text and filters, without signing in.
    found = api.search(q=listing["title"].split()[-1], city="porto", bedrooms=2)
    assert [hit["id"] for hit in found["results"]] == [listing["id"]]

    # 4. The renter applies.
    application = renter.apply(listing["id"], message="Two adults, no pets, long stay.")
    assert application["status"] == "submitted"

    # 5. The landlord's email arrives.
    to_landlord = mailbox.wait_for(
        lambda m: m.to == landlord.user["email"] and listing["title"] in m.subject
    )
    assert "Rui Renter" in to_landlord.body

    # 6. The landlord sees the application and approves it.
    received = landlord.call("GET", "/api/v1/applications")["results"]
    assert [a["id"] for a in received] == [application["id"]]
    approved = landlord.decide(application["id"], "approve")
    assert approved["status"] == "approved"

    # 7. The renter's email arrives.
    to_renter = mailbox.wait_for(
        lambda m: m.to == renter.user["email"] and "approved" in m.subject.lower()
    )
    assert listing["title"] in to_renter.subject + to_renter.body

    # Each side's notification history shows what was sent.
    assert any(n["status"] == "sent" for n in _notifications(landlord))
    assert renter.call("GET", f"/api/v1/applications/{application['id']}")["status"] == "approved"
    # The listing is let: out of search once listings has the approval event.
    deadline = time.monotonic() + 10 * TARGET.wait_factor
    while api.search(q=listing["title"].split()[-1])["count"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert landlord.call("GET", f"/api/v1/listings/{listing['id']}")["status"] == "let"


def test_rejection_reaches_the_renter(api: Api, mailbox: Mailbox):
    landlord = api.new_user(role="landlord")
    renter = api.new_user(role="renter")
    listing = _published_listing(landlord)
    application = renter.apply(listing["id"])
    landlord.decide(application["id"], "reject")
    mail = mailbox.wait_for(lambda m: m.to == renter.user["email"] and "declined" in m.subject)
    assert listing["title"] in mail.subject
    # The journey tests share the running platform with its demo data: leave search clean.
    landlord.call("POST", f"/api/v1/listings/{listing['id']}/unpublish")
    assert mail.header("X-Hearth-Event-Id")


def test_password_reset_by_email(api: Api, mailbox: Mailbox):
    user = api.new_user(role="renter")
    email = user.user["email"]
    api.call("POST", "/api/v1/accounts/password-reset", json={"email": email}, expect=202)
    mail = mailbox.wait_for(lambda m: m.to == email and "password" in m.subject.lower())
    token = re.search(r"token=([\w:.-]+)", mail.body).group(1)
    api.call(
        "POST",
        "/api/v1/accounts/password-reset/confirm",
        json={"token": token, "new_password": "a-brand-new-passphrase"},
        expect=204,
    )
    assert api.sign_in(email=email, password="a-brand-new-passphrase").user["email"] == email


@pytest.fixture
def smtp_stopped():
    supervisorctl("stop", "infra:smtp")
    try:
        yield
    finally:
        supervisorctl("start", "infra:smtp")


@pytest.mark.local_stack(reason="stops the local SMTP sink through supervisord")
def test_email_held_while_smtp_is_down_goes_out_once_when_it_returns(
    api: Api, mailbox: Mailbox, smtp_stopped
):
    landlord = api.new_user(role="landlord")
    renter = api.new_user(role="renter")
    listing = _published_listing(landlord)
    application = renter.apply(listing["id"])
    landlord.decide(application["id"], "approve")

    def approval(mail) -> bool:
        return mail.to == renter.user["email"] and "approved" in mail.subject.lower()

    # SMTP is down: the notification waits, retried, and nothing is lost.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        pending = [n for n in _notifications(renter) if n["kind"] == "application_approved"]
        if pending and pending[0]["attempts"] >= 1:
            break
        time.sleep(0.2)
    assert pending, "the approval notification was never recorded"
    assert pending[0]["status"] == "pending"
    assert mailbox.find(approval) == []

    supervisorctl("start", "infra:smtp")
    mail = mailbox.wait_for(approval, timeout=60)
    time.sleep(3)  # a duplicate would arrive right behind the first
    same = [m for m in mailbox.find(approval)]
    assert len(same) == 1, [m.path.name for m in same]
    assert mail.header("X-Hearth-Notification-Id") == pending[0]["id"]
    assert _notifications(renter)[0]["status"] == "sent"


def _account(email: str, password: str, *, staff: bool) -> None:
    if staff:
        create_staff_account(email=email, password=password, full_name="Olga Operations")
    else:
        Api().register(email=email, password=password, full_name="Not Staff", role="renter")


def _admin_sign_in(context: str, email: str, password: str) -> requests.Response:
    session = TARGET.session()
    login = TARGET.url(f"/admin/{context}/login/")
    form = session.get(login, timeout=TARGET.request_timeout)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    return session.post(
        login,
        data={
            "csrfmiddlewaretoken": csrf,
            "username": email,
            "password": password,
            "next": f"/admin/{context}/",
        },
        # Over HTTPS, Django's CSRF check wants the page the form came from (an
        # Origin would do too, but one the deployable must see as its own scheme,
        # which a TLS front before the plain local gateway does not give).
        headers={"Referer": login},
        timeout=TARGET.request_timeout,
    )


@pytest.mark.parametrize("context", ["accounts", "listings", "applications", "notifications"])
def test_staff_sign_in_to_each_contexts_admin_with_their_hearth_account(context):
    email, password = f"ops-{uuid.uuid4().hex[:8]}@example.test", "an-operations-passphrase"
    _account(email, password, staff=True)
    admin = _admin_sign_in(context, email, password)
    assert admin.status_code == 200
    assert admin.url.rstrip("/").endswith(f"/admin/{context}")
    assert "Site administration" in admin.text


def test_a_non_staff_account_cannot_sign_in_to_an_admin():
    email, password = f"user-{uuid.uuid4().hex[:8]}@example.test", "an-ordinary-passphrase"
    _account(email, password, staff=False)
    refused = _admin_sign_in("listings", email, password)
    assert "/login/" in refused.url
    assert "Please enter the correct" in refused.text
