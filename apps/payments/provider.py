"""The payment provider, Stripe, through its official SDK, behind one adapter.

Every call has a connect and a read timeout; the SDK retries it on network errors
and on the answers Stripe marks retryable, always with the same Idempotency-Key
(ours, derived from the charge), so a retry is never a second charge; and every
call goes through a circuit breaker (kernel.http's pattern, with pybreaker): after
repeated failures calls fail at once for a while instead of piling up behind a sick
provider. A card declined is an answer, not a failure: it never opens the breaker.

PROVIDER_CALLS counts the adapter's calls to Stripe by operation and outcome
(Prometheus), which is how tests prove that a double submit made one charge.

Locally the provider is stripe-mock (STRIPE_MOCK=true), which answers every call
from fixtures and keeps no state: a confirmed PaymentIntent always comes back
`requires_payment_method` with the fixture's amount. With STRIPE_MOCK the adapter
therefore reads the outcome from the test payment method sent, as Stripe's test mode
documents it (pm_card_visa succeeds, pm_card_chargeDeclined declines, ...), and
takes the amount it sent; everything else (the HTTP calls, the idempotency keys,
timeouts, retries, the breaker) is real.
"""

import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

import pybreaker
import stripe
from django.conf import settings
from prometheus_client import Counter

logger = logging.getLogger(__name__)

PROVIDER_CALLS = Counter(
    "hearth_payments_provider_calls",
    "Calls of the payments adapter to the provider's API",
    ["operation", "outcome"],
)

# Stripe's documented test payment methods and what its test mode answers for each:
# None succeeds, else (decline code, message). Only these are charged against stripe-mock.
TEST_PAYMENT_METHODS: dict[str, tuple[str, str] | None] = {
    "pm_card_visa": None,
    "pm_card_mastercard": None,
    "pm_card_chargeDeclined": ("card_declined", "Your card was declined."),
    "pm_card_chargeDeclinedInsufficientFunds": (
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "pm_card_chargeDeclinedExpiredCard": ("expired_card", "Your card has expired."),
}
# What counts against the breaker: the provider unreachable or failing, not a refusal.
_PROVIDER_FAULTS = (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError)


class ProviderUnavailable(Exception):
    """The provider did not answer usefully: down, slow, failing, or the breaker is open.
    Whether a charge was made is unknown: reconciliation asks again with the same key."""


@dataclass(frozen=True)
class ProviderCharge:
    intent_id: str
    status: str  # "succeeded", "failed" or "processing"
    amount: Decimal
    currency: str
    decline_code: str = ""
    message: str = ""


@dataclass(frozen=True)
class WebhookEvent:
    event_id: str
    event_type: str
    intent_id: str
    charge_id: uuid.UUID | None  # ours, from the intent's metadata
    decline_code: str
    message: str


def minor_units(amount: Decimal) -> int:
    """Cents: every supported currency has two decimals at Stripe."""
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{amount} has more than two decimals")
    return int(cents)


@cache
def breaker() -> pybreaker.CircuitBreaker:
    return pybreaker.CircuitBreaker(
        fail_max=settings.HEARTH_BREAKER_FAIL_MAX,
        reset_timeout=settings.HEARTH_BREAKER_RESET_SECONDS,
        exclude=[lambda error: not isinstance(error, _PROVIDER_FAULTS)],
        name="stripe",
    )


@cache
def client() -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.STRIPE_API_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE},
        max_network_retries=settings.STRIPE_MAX_RETRIES,
        http_client=stripe.RequestsClient(
            timeout=(settings.STRIPE_CONNECT_TIMEOUT, settings.STRIPE_READ_TIMEOUT),
            proxy=settings.STRIPE_PROXY or None,
        ),
    )


def _call(operation: str, method, *args: Any, **kwargs: Any):
    try:
        result = breaker().call(method, *args, **kwargs)
    except pybreaker.CircuitBreakerError as error:
        PROVIDER_CALLS.labels(operation, "circuit_open").inc()
        raise ProviderUnavailable("circuit open") from error
    except _PROVIDER_FAULTS as error:
        PROVIDER_CALLS.labels(operation, "unavailable").inc()
        raise ProviderUnavailable(type(error).__name__) from error
    except stripe.CardError:
        PROVIDER_CALLS.labels(operation, "declined").inc()
        raise
    PROVIDER_CALLS.labels(operation, "answered").inc()
    return result


def charge(
    *,
    charge_id: uuid.UUID,
    amount: Decimal,
    currency: str,
    payment_method: str,
    idempotency_key: str,
) -> ProviderCharge:
    """Create and confirm a PaymentIntent. The same idempotency_key always names the
    same charge, so calling again (a retry, reconciliation) never charges twice."""
    params = {
        "amount": minor_units(amount),
        "currency": currency.lower(),
        "payment_method": payment_method,
        "confirm": True,
        "metadata": {"hearth_charge_id": str(charge_id)},
        # A server-side confirmation: no redirect-based method can be offered.
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
    }
    options = {"idempotency_key": idempotency_key}
    try:
        intent = _call("charge", client().v1.payment_intents.create, params=params, options=options)
    except stripe.CardError as error:
        intent_id = (error.json_body or {}).get("error", {}).get("payment_intent", {}).get("id", "")
        return ProviderCharge(
            intent_id=intent_id,
            status="failed",
            amount=amount,
            currency=currency,
            decline_code=error.code or "card_declined",
            message=error.user_message or "The card was declined.",
        )
    return _read_intent(intent, amount=amount, currency=currency, payment_method=payment_method)


def lookup(
    *, intent_id: str, amount: Decimal, currency: str, payment_method: str
) -> ProviderCharge:
    """The provider's record of a charge, for reconciliation."""
    intent = _call("lookup", client().v1.payment_intents.retrieve, intent_id)
    return _read_intent(intent, amount=amount, currency=currency, payment_method=payment_method)


def refund(*, intent_id: str, amount: Decimal, idempotency_key: str) -> str:
    """Refund part of a charge (the deposit); the provider's refund id."""
    params = {"payment_intent": intent_id, "amount": minor_units(amount)}
    result = _call(
        "refund",
        client().v1.refunds.create,
        params=params,
        options={"idempotency_key": idempotency_key},
    )
    return result.id


def parse_webhook(payload: bytes, signature: str) -> WebhookEvent:
    """A webhook's event, once its signature proves it came from the provider
    (stripe.SignatureVerificationError otherwise; ValueError for a malformed body)."""
    event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    intent = event.to_dict()["data"]["object"]
    error = intent.get("last_payment_error") or {}
    charge_id = (intent.get("metadata") or {}).get("hearth_charge_id")
    return WebhookEvent(
        event_id=event.id,
        event_type=event.type,
        intent_id=intent.get("id", ""),
        charge_id=uuid.UUID(charge_id) if charge_id else None,
        decline_code=error.get("decline_code") or error.get("code") or "",
        message=error.get("message") or "",
    )


def _read_intent(
    intent: Any, *, amount: Decimal, currency: str, payment_method: str
) -> ProviderCharge:
    if settings.STRIPE_MOCK:
        # stripe-mock's fixtures say nothing about this charge (module docstring).
        outcome = TEST_PAYMENT_METHODS[payment_method]
        return ProviderCharge(
            intent_id=intent.id,
            status="succeeded" if outcome is None else "failed",
            amount=amount,
            currency=currency,
            decline_code=outcome[0] if outcome else "",
            message=outcome[1] if outcome else "",
        )
    error = intent.to_dict().get("last_payment_error") or {}
    status = {"succeeded": "succeeded", "requires_payment_method": "failed"}.get(
        intent.status, "processing"
    )
    return ProviderCharge(
        intent_id=intent.id,
        status=status,
        amount=Decimal(intent.amount) / 100,
        currency=intent.currency.upper(),
        decline_code=(error.get("decline_code") or error.get("code") or "")
        if status == "failed"
        else "",
        message=error.get("message", "") if status == "failed" else "",
    )
