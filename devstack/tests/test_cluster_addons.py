"""The cluster's host add-ons as started: what their command lines bind."""

from devstack import layout
from devstack.cluster import addons
from devstack.cluster.topology import BRIDGE_IP, REGISTRY_PORT, SMTP_PORT, STRIPE_MOCK_PORT


def test_stripe_mock_listens_on_the_bridge_alone_beside_the_local_stack_s():
    command = [str(part) for part in addons.stripe_mock_command()]
    assert command[0].endswith("/stripe-mock")
    options = dict(zip(command[1::2], command[2::2], strict=True))
    # Both listeners named: left out, the HTTPS one would open on every address.
    assert options == {
        "-http-addr": f"{BRIDGE_IP}:{STRIPE_MOCK_PORT}",
        "-https-addr": f"{BRIDGE_IP}:{STRIPE_MOCK_PORT + 1}",
    }
    # Ports of its own: the local stack's stripe-mock (loopback) and the bridge's others.
    taken = {layout.STRIPE_MOCK_PORT, layout.STRIPE_MOCK_PORT + 1, SMTP_PORT, REGISTRY_PORT}
    assert not {STRIPE_MOCK_PORT, STRIPE_MOCK_PORT + 1} & taken
