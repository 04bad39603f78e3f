"""The rental journey continued into the move-in payment, in a real browser: the
landlord approves, the renter gets the payment-due email, pays on the page it links
to (stripe-mock behind payments locally), and both receive their receipt by email.

Runs against whatever HEARTH_BASE_URL names, like the other browser journeys."""

import re
import uuid

from playwright.sync_api import Page, expect

from devstack.api_client import Api, Mailbox

PASSWORD = "a-long-browser-passphrase"


def _sign_in(page: Page, email: str) -> None:
    page.goto("/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()


def test_approve_then_the_due_email_then_pay_in_the_browser_then_both_receipts(
    page: Page, mailbox: Mailbox, screenshot, assert_accessible
):
    landlord = Api().new_user(role="landlord", name="Paula Payee", password=PASSWORD)
    renter = Api().new_user(role="renter", name="Piet Payer", password=PASSWORD)
    title = f"Canal flat {uuid.uuid4().hex[:8]}"
    listing = landlord.publish(landlord.create_listing(title=title, city="Porto")["id"])
    application = renter.apply(listing["id"])
    landlord.decide(application["id"], "approve")

    due = mailbox.wait_for(
        lambda m: m.to == renter.user["email"] and "is due by" in m.subject, timeout=30
    )
    assert title in due.subject
    payment_path = re.search(r"/payments/[0-9a-f-]{36}", due.body).group(0)

    _sign_in(page, renter.user["email"])
    page.goto(payment_path)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Move-in payment: {title}")
    expect(page.get_by_text("Status: Due")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "payment-due")
    page.get_by_label("Test card: Visa (succeeds)").check()
    page.get_by_role("button", name="Pay now").click()
    expect(page.get_by_role("status")).to_contain_text("Paid")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Receipt: {title}")
    expect(page.get_by_text("Status: Paid")).to_be_visible()
    screenshot(page, "payment-receipt")

    receipt = mailbox.wait_for(
        lambda m: m.to == renter.user["email"] and m.subject.startswith("Receipt:"), timeout=30
    )
    received = mailbox.wait_for(
        lambda m: m.to == landlord.user["email"] and "received for" in m.subject, timeout=30
    )
    assert title in receipt.subject
    assert title in received.subject
    (payout,) = landlord.call("GET", "/api/v1/payments/payouts")["results"]
    assert f"Your payout         {payout['amount']['amount']} " in received.body
    # Paying again is refused, not charged: the page shows the receipt, not the form.
    page.reload()
    expect(page.get_by_role("button", name="Pay now")).to_have_count(0)
