"""The provider adapter's resilience, against a stand-in that fails on purpose: a
retried call carries the same Stripe idempotency key; a provider that keeps failing
opens the breaker, after which calls fail at once. And the client's keys are kept
for at least a day."""

import json
import threading
import uuid
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from apps.payments import provider
from apps.payments.models import IdempotencyKey
from apps.payments.tests.support import open_payment, pay, provider_calls

pytestmark = pytest.mark.django_db


class FlakyStripe(BaseHTTPRequestHandler):
    """Answers 503 (Stripe-Should-Retry) to every first attempt, then a PaymentIntent."""

    attempts: list[dict[str, str]] = []

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        FlakyStripe.attempts.append(dict(self.headers))
        if len(FlakyStripe.attempts) % 2:
            self._answer(503, {"error": {"type": "api_error", "message": "try again"}})
        else:
            intent = {
                "id": "pi_flaky",
                "object": "payment_intent",
                "status": "succeeded",
                "amount": 435000,
                "currency": "eur",
            }
            self._answer(200, intent)

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if status == 503:
            self.send_header("Stripe-Should-Retry", "true")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def flaky_stripe(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FlakyStripe)
    FlakyStripe.attempts = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{server.server_port}"
    yield FlakyStripe.attempts
    server.shutdown()


def test_a_retried_charge_carries_the_same_idempotency_key(client, flaky_stripe, landlord, renter):
    payment = open_payment(landlord, renter)
    before = provider_calls()
    assert pay(client, payment.id, renter, key="k").status_code == 200
    assert len(flaky_stripe) == 2  # the 503, then the retry
    keys = {attempt["Idempotency-Key"] for attempt in flaky_stripe}
    assert len(keys) == 1
    assert keys.pop().startswith("hearth-charge-")
    assert provider_calls() == before + 1  # one call of the adapter, retried inside it


def test_a_failing_provider_opens_the_breaker(settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    settings.STRIPE_MAX_RETRIES = 0
    settings.HEARTH_BREAKER_FAIL_MAX = 2
    outcomes = []
    for _ in range(3):
        try:
            provider.charge(
                charge_id=uuid.uuid4(),
                amount=Decimal("10.00"),
                currency="EUR",
                payment_method="pm_card_visa",
                idempotency_key="k",
            )
        except provider.ProviderUnavailable as error:
            outcomes.append(str(error))
    assert outcomes[0] == "APIConnectionError"
    assert outcomes[-1] == "circuit open"


def test_keys_are_kept_a_day_and_forgotten_after_their_time(client, settings, landlord, renter):
    settings.PAYMENTS_IDEMPOTENCY_KEY_HOURS = 24
    payment = open_payment(landlord, renter)
    first = pay(client, payment.id, renter, key="old", method="pm_card_chargeDeclined")
    assert first.status_code == 402
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=23, minutes=59))
    replay = pay(client, payment.id, renter, key="old", method="pm_card_chargeDeclined")
    assert replay.has_header("Idempotent-Replayed")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=24, minutes=1))
    # Past its time the key is forgotten: not replayed, but its charge still names it,
    # so it cannot start a second one either.
    again = pay(client, payment.id, renter, key="old", method="pm_card_chargeDeclined")
    assert not again.has_header("Idempotent-Replayed")
    assert again.status_code == 409
