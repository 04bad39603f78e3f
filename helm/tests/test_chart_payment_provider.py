"""payments' payment provider in the app chart (paymentProvider, helm/README.md): its
settings reach payments' ConfigMap and no other; its egress policy lets payments' web
pods, and no other pod, reach the provider's addresses on its ports; the schema refuses
a bad value, naming it; the local cluster's payments calls the host's stripe-mock, where
devstack/cluster/addons.py starts it, with its generated test key."""

import pytest

from config.services import SERVICES
from devstack import k8s_secrets
from devstack.cluster.topology import BRIDGE_IP, STRIPE_MOCK_PORT
from helm.tests.chart_rendering import CHART, ROOT, by_name, of_kind, rendered, template

LOCAL = ROOT / "k8s-overlays" / "local" / "values.yaml"
PRODUCTION = ROOT / "k8s-overlays" / "production" / "values.yaml"
EXTERNAL = CHART / "ci" / "external-values.yaml"
# Addresses no other rule of the chart uses, so a rule naming them is the provider's.
ELSEWHERE = (
    "paymentProvider.cidrs={198.51.100.0/24,203.0.113.7/32}",
    "paymentProvider.ports={8443}",
)
PROVIDER_RULE = {
    "to": [{"ipBlock": {"cidr": "198.51.100.0/24"}}, {"ipBlock": {"cidr": "203.0.113.7/32"}}],
    "ports": [{"protocol": "TCP", "port": 8443}],
}


def _config(documents, name: str) -> dict[str, str]:
    return by_name(documents, "ConfigMap")[f"hearth-{name}-config"]["data"]


def _selects(policy: dict, pod_labels: dict) -> bool:
    """A podSelector of matchLabels (and In expressions), as the API server applies it."""
    selector = policy["spec"]["podSelector"]
    if any(pod_labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    return all(
        pod_labels.get(e["key"]) in e["values"] for e in selector.get("matchExpressions", [])
    )


def test_only_payments_gets_the_provider_settings_stripe_s_own_api_by_default():
    documents = rendered()
    data = _config(documents, "payments")
    assert (data["STRIPE_API_BASE"], data["STRIPE_MOCK"]) == ("https://api.stripe.com", "false")
    assert "STRIPE_PROXY" not in data
    for name in SERVICES:
        if name != "payments":
            assert not [k for k in _config(documents, name) if k.startswith("STRIPE_")], name


def test_the_proxy_is_given_to_payments_and_is_what_its_web_pods_may_reach():
    documents = rendered(PRODUCTION)
    assert _config(documents, "payments")["STRIPE_PROXY"] == (
        "http://egress-proxy.hearth.internal:3128"
    )
    assert _config(documents, "payments")["STRIPE_API_BASE"] == "https://api.stripe.com"
    policy = by_name(documents, "NetworkPolicy")["hearth-payments-provider-egress"]
    assert policy["spec"]["egress"] == [
        {
            "to": [{"ipBlock": {"cidr": "10.20.250.0/28"}}],
            "ports": [{"protocol": "TCP", "port": 3128}],
        }
    ]
    # Production never opens the world to payments: only its proxy.
    assert "0.0.0.0/0" not in str(policy)


def test_payments_web_pods_and_no_other_pod_may_reach_the_provider():
    documents = rendered(settings=ELSEWHERE)
    policies = by_name(documents, "NetworkPolicy")
    provider = policies["hearth-payments-provider-egress"]
    assert provider["spec"]["policyTypes"] == ["Egress"]
    assert provider["spec"]["egress"] == [PROVIDER_RULE]
    # No other policy opens those addresses to anyone.
    others = [p for n, p in policies.items() if n != "hearth-payments-provider-egress"]
    assert not [p["metadata"]["name"] for p in others if "198.51.100.0/24" in str(p)]
    # Of every pod the chart runs, payments' web pods alone are selected.
    workloads = [w for kind in ("Deployment", "Job", "CronJob") for w in of_kind(documents, kind)]
    selected = set()
    for workload in workloads:
        spec = workload["spec"].get("jobTemplate", {}).get("spec", workload["spec"])
        if _selects(provider, spec["template"]["metadata"]["labels"]):
            selected.add(workload["metadata"]["name"])
    assert selected == {"hearth-payments-web"}
    # payments' other processes are among them, so leaving them out means something.
    assert {"hearth-payments-relay", "hearth-payments-consumers"} <= {
        w["metadata"]["name"] for w in workloads
    }


def test_the_local_cluster_s_payments_calls_the_host_s_stripe_mock():
    documents = rendered(LOCAL)
    data = _config(documents, "payments")
    address = f"http://{BRIDGE_IP}:{STRIPE_MOCK_PORT}"  # where addons.py starts it
    assert (data["STRIPE_API_BASE"], data["STRIPE_MOCK"]) == (address, "true")
    assert "STRIPE_PROXY" not in data
    policy = by_name(documents, "NetworkPolicy")["hearth-payments-provider-egress"]
    assert policy["spec"]["egress"] == [
        {
            "to": [{"ipBlock": {"cidr": f"{BRIDGE_IP}/32"}}],
            "ports": [{"protocol": "TCP", "port": STRIPE_MOCK_PORT}],
        }
    ]


def test_the_local_secrets_give_payments_alone_its_test_key_and_webhook_secret():
    generated = {
        doc["metadata"]["name"]: doc.get("stringData") or doc.get("data")
        for doc in k8s_secrets.manifests("hearth", "hearth-data")
    }
    env = generated["hearth-payments-env"]
    # stripe-mock takes any test-mode key; a live key must never be generated.
    assert env["STRIPE_API_KEY"].startswith("sk_test_")
    assert env["STRIPE_WEBHOOK_SECRET"].startswith("whsec_")
    for name in SERVICES:
        if name != "payments":
            assert "STRIPE_API_KEY" not in generated[f"hearth-{name}-env"], name


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ("paymentProvider.apiBase=https://api.stripe.com/v1", "paymentProvider/apiBase"),
        ("paymentProvider.apiBase=api.stripe.com", "paymentProvider/apiBase"),
        ("paymentProvider.proxy=http://egress-proxy", "paymentProvider/proxy"),  # no port
        ("paymentProvider.cidrs={everywhere}", "paymentProvider/cidrs/0"),
        ("paymentProvider.ports={0}", "paymentProvider/ports/0"),
        ("paymentProvider.mock=yes", "paymentProvider/mock"),
        ("paymentProvider.url=https://api.stripe.com", "paymentProvider"),  # not a key
    ],
)
def test_the_schema_refuses_a_bad_provider_value_and_names_it(setting, named):
    completed = template(settings=(setting,))
    assert completed.returncode != 0, f"{setting} was accepted"
    assert "values don't meet the specifications of the schema" in completed.stderr
    assert f"at '/{named}'" in completed.stderr, completed.stderr


def test_the_schema_refuses_no_address_at_all(tmp_path):
    nowhere = tmp_path / "nowhere.yaml"
    nowhere.write_text("paymentProvider: {cidrs: []}\n")
    completed = template(nowhere)
    assert completed.returncode != 0
    assert "at '/paymentProvider/cidrs'" in completed.stderr, completed.stderr


def test_stripe_mock_is_never_taken_for_stripe_s_own_api():
    """With mock the adapter believes the test payment method, not the answer: against
    Stripe itself that would settle charges Stripe never made."""
    completed = template(settings=("paymentProvider.mock=true",))
    assert completed.returncode != 0
    assert "at '/paymentProvider/apiBase'" in completed.stderr, completed.stderr
    assert "mock is never for Stripe" in completed.stderr
    accepted = template(
        settings=("paymentProvider.mock=true", "paymentProvider.apiBase=http://10.0.0.5:12111")
    )
    assert accepted.returncode == 0, accepted.stderr


def test_the_ci_values_render_the_proxy_setting():
    # So the ConfigMap test (test_chart_config.py) holds STRIPE_PROXY to the settings too.
    assert "STRIPE_PROXY" in _config(rendered(EXTERNAL), "payments")
