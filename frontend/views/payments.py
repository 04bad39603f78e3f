"""Move-in payments in the browser: the renter's payments (pay now, receipts), the
landlord's payouts. Pages call payments' public API as the signed-in user.

A pay form carries an Idempotency-Key made when the form is rendered, so a double
click or a resubmitted form is the same request to the API: one charge.
"""

import uuid

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from frontend.api import PAYMENTS, api, as_user, checked, get_json
from frontend.pages import Pagination, page, page_number

PAGE_SIZE = 20
# Stripe's test payment methods, which stripe-mock (locally) takes; a live integration
# would collect a card with Stripe.js and post its pm_ id instead.
TEST_PAYMENT_METHODS = (
    ("pm_card_visa", "Test card: Visa (succeeds)"),
    ("pm_card_chargeDeclined", "Test card: declined"),
)
OUTCOMES = {
    200: (messages.SUCCESS, "Paid: your receipt is below, and on its way by email."),
    202: (messages.INFO, "Sent to the payment provider; we will confirm by email."),
}


@page(signed_in=True, template="payments/list.html")
def payment_list(request):
    number = page_number(request)
    data = get_json(request, PAYMENTS, "/api/v1/payments", page=number, page_size=PAGE_SIZE)
    return render(
        request,
        "payments/list.html",
        {
            "payments": data["results"],
            "pagination": Pagination.of(request, data, page=number, page_size=PAGE_SIZE),
        },
    )


@page(signed_in=True, template="payments/detail.html")
def payment_detail(request, payment_id):
    payment = get_json(request, PAYMENTS, f"/api/v1/payments/{payment_id}")
    return render(
        request,
        "payments/detail.html",
        {
            "payment": payment,
            "methods": TEST_PAYMENT_METHODS,
            "idempotency_key": uuid.uuid4().hex,
        },
    )


@page(role="renter")
@require_POST
def pay(request, payment_id):
    key = request.POST.get("idempotency_key", "")[:255]
    response = checked(
        api(PAYMENTS).post(
            f"/api/v1/payments/{payment_id}/pay",
            json={"payment_method": request.POST.get("payment_method", "")},
            headers={"Idempotency-Key": key},
            **as_user(request),
        ),
        400,
        402,
        409,
        422,
    )
    body = response.json()
    if response.status_code in OUTCOMES:
        level, text = OUTCOMES[response.status_code]
        messages.add_message(request, level, text)
    elif response.status_code == 402:
        messages.error(request, f"Declined: {body['detail']} Nothing was charged.")
    else:
        detail = body.get("detail") or " ".join(
            str(message) for messages_ in body.values() for message in messages_
        )
        messages.error(request, detail)
    return redirect(reverse("payment", args=[payment_id]))


@page(role="landlord", template="payments/payouts.html")
def payouts(request):
    number = page_number(request)
    data = get_json(request, PAYMENTS, "/api/v1/payments/payouts", page=number, page_size=PAGE_SIZE)
    return render(
        request,
        "payments/payouts.html",
        {
            "payouts": data["results"],
            "pagination": Pagination.of(request, data, page=number, page_size=PAGE_SIZE),
        },
    )
