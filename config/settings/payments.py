"""Settings of the payments deployable."""

from decimal import Decimal

from config.settings.base import *
from config.settings.base import deployable_settings, env, env_bool, own_value

globals().update(deployable_settings("payments"))
HEARTH_EVENT_CONSUMERS = [
    "apps.payments.consumers.MOVE_IN_PAYMENTS",  # approvals, and the listings' terms
    REVOCATION_CONSUMER,  # ended sessions (kernel.auth.revocation)
]

# The provider: Stripe's API. Locally stripe-mock (devstack), with a generated test key
# and webhook secret (config.secrets); production's come from payments' Secret.
STRIPE_API_BASE = env("STRIPE_API_BASE", "http://127.0.0.1:12111")
STRIPE_API_KEY = own_value(SERVICES["payments"], "STRIPE_API_KEY")
STRIPE_WEBHOOK_SECRET = own_value(SERVICES["payments"], "STRIPE_WEBHOOK_SECRET")
# stripe-mock answers from fixtures: the adapter reads the outcome from the test
# payment method instead (apps.payments.provider). Never on outside a local run.
STRIPE_MOCK = env_bool("STRIPE_MOCK", HEARTH_ENV == "local")
STRIPE_CONNECT_TIMEOUT = float(env("STRIPE_CONNECT_TIMEOUT", "2"))
STRIPE_READ_TIMEOUT = float(env("STRIPE_READ_TIMEOUT", "10"))
STRIPE_MAX_RETRIES = int(env("STRIPE_MAX_RETRIES", "2"))
# An egress proxy for the provider's calls alone (HTTP CONNECT, so TLS stays end to end
# with Stripe): where a cluster lets payments out only to it (helm/README.md). Empty: none.
STRIPE_PROXY = env("STRIPE_PROXY", "")

# The move-in payment: due this many days after the approval; the platform's fee is
# this share of the first month's rent; the landlord's part is paid out this many
# days after the payment.
PAYMENTS_DUE_DAYS = int(env("PAYMENTS_DUE_DAYS", "7"))
PAYMENTS_FEE_RATE = Decimal(env("PAYMENTS_FEE_RATE", "0.05"))
PAYMENTS_PAYOUT_DELAY_DAYS = int(env("PAYMENTS_PAYOUT_DELAY_DAYS", "2"))
# How long a client's Idempotency-Key is remembered; never less than a day.
PAYMENTS_IDEMPOTENCY_KEY_HOURS = max(24, int(env("PAYMENTS_IDEMPOTENCY_KEY_HOURS", "48")))
if not Decimal("0") <= PAYMENTS_FEE_RATE < Decimal("1"):
    raise ValueError(f"PAYMENTS_FEE_RATE must be in [0, 1), not {PAYMENTS_FEE_RATE}")
