"""With STRIPE_PROXY set, the provider's calls go through that proxy (production's
egress proxy, helm/README.md): a stand-in proxy answers for a host that nothing else
can reach, so an answer proves the call went through it."""

import json
import threading
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from apps.payments import provider

# .invalid never resolves (RFC 6761): only the proxy can reach this "provider".
UNREACHABLE_BASE = "http://stripe.invalid"


class ForwardProxy(BaseHTTPRequestHandler):
    """A forward proxy's view of a plain-HTTP call: the request line names the target's
    absolute URL. It answers as the provider would, with a succeeded PaymentIntent."""

    targets: list[str] = []

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        ForwardProxy.targets.append(self.path)
        intent = {
            "id": "pi_proxied",
            "object": "payment_intent",
            "status": "succeeded",
            "amount": 1000,
            "currency": "eur",
        }
        data = json.dumps(intent).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def forward_proxy():
    server = ThreadingHTTPServer(("127.0.0.1", 0), ForwardProxy)
    ForwardProxy.targets = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", ForwardProxy.targets
    server.shutdown()


def charge() -> provider.ProviderCharge:
    return provider.charge(
        charge_id=uuid.uuid4(),
        amount=Decimal("10.00"),
        currency="EUR",
        payment_method="pm_card_visa",
        idempotency_key=f"hearth-charge-{uuid.uuid4()}",
    )


def test_the_provider_is_reached_through_the_proxy_and_only_through_it(settings, forward_proxy):
    address, targets = forward_proxy
    settings.STRIPE_API_BASE = UNREACHABLE_BASE
    settings.STRIPE_MAX_RETRIES = 0
    settings.STRIPE_MOCK = False  # the outcome is the answer's, as with Stripe itself
    with pytest.raises(provider.ProviderUnavailable):
        charge()  # straight out: the host does not resolve
    assert targets == []

    provider.client.cache_clear()
    settings.STRIPE_PROXY = address
    result = charge()
    assert (result.intent_id, result.status, result.amount) == (
        "pi_proxied",
        "succeeded",
        Decimal("10"),
    )
    assert targets == [f"{UNREACHABLE_BASE}/v1/payment_intents"]
