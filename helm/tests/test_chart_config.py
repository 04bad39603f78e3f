"""Every setting the chart gives a deployable is one its code reads: a misspelt or
invented name would be silently ignored, leaving the local default in production."""

import re

import pytest

from config.services import SERVICES
from helm.tests.chart_rendering import CI_VALUES, ROOT, by_name, rendered

# Where the processes read their environment: the shared settings, each deployable's
# own (payments reads its provider's), gunicorn's, and the tracing set-up (OTEL_*).
READERS = [
    *sorted((ROOT / "config" / "settings").glob("*.py")),
    ROOT / "config" / "gunicorn_conf.py",
    ROOT / "platform" / "kernel" / "observability" / "tracing.py",
]
SERVICE_URL = re.compile(r"^([A-Z]+)_URL$")


def names_read() -> set[str]:
    text = "\n".join(path.read_text() for path in READERS)
    return set(
        re.findall(
            r"""\b(?:env|env_bool|env_list|own_value|environ\.get)\(\s*(?:service,\s*)?["']([A-Z0-9_]+)["']""",
            text,
        )
    )


@pytest.mark.parametrize(
    "values_file", [None, *CI_VALUES], ids=lambda p: p.name if p else "defaults"
)
def test_every_configmap_key_is_read_by_the_settings(values_file):
    read = names_read()
    assert {
        "DATABASE_HOST",
        "KAFKA_BOOTSTRAP_SERVERS",
        "GUNICORN_WORKERS",
    } <= read  # the scan works
    configs = by_name(rendered(values_file), "ConfigMap")
    for name in SERVICES:
        for key in configs[f"hearth-{name}-config"]["data"]:
            url = SERVICE_URL.match(key)
            if url and url.group(1).lower() in SERVICES:
                continue  # HEARTH_SERVICE_URLS reads <NAME>_URL for every deployable
            assert key in read, f"hearth-{name}-config sets {key}, which nothing reads"


def test_production_settings_and_replication_reach_the_kafka_users():
    configs = by_name(rendered(), "ConfigMap")
    for name, service in SERVICES.items():
        data = configs[f"hearth-{name}-config"]["data"]
        assert data["HEARTH_ENV"] == "production"
        if service.publishes_events or service.consumes_events:
            assert (data["KAFKA_REPLICATION_FACTOR"], data["KAFKA_MIN_INSYNC_REPLICAS"]) == (
                "3",
                "2",
            )
        else:
            assert "KAFKA_BOOTSTRAP_SERVERS" not in data
        assert ("EMAIL_HOST" in data) == service.sends_email


def test_mail_can_leave_through_an_external_provider_beside_an_in_cluster_data_tier():
    """The local cluster's data tier is in the cluster, its mail provider on the host."""
    documents = rendered(ROOT / "k8s-overlays" / "local" / "values.yaml")
    configs = by_name(documents, "ConfigMap")
    policies = by_name(documents, "NetworkPolicy")
    for name, service in SERVICES.items():
        data = configs[f"hearth-{name}-config"]["data"]
        assert data["DATABASE_HOST"] == "hearth-data-postgres"
        if not service.sends_email:
            continue
        assert (data["EMAIL_HOST"], data["EMAIL_PORT"]) == ("10.250.0.1", "2525")
        egress = policies[f"hearth-{name}-egress"]["spec"]["egress"]
        assert {
            "to": [{"ipBlock": {"cidr": "10.250.0.1/32"}}],
            "ports": [{"protocol": "TCP", "port": 2525}],
        } in egress


def test_an_environment_adds_settings_to_one_deployable_only():
    configs = by_name(rendered(ROOT / "k8s-overlays" / "local" / "values.yaml"), "ConfigMap")
    assert configs["hearth-accounts-config"]["data"]["HEARTH_LIMIT_REGISTER_ADDRESS"] == "2000/1h"
    assert "HEARTH_LIMIT_REGISTER_ADDRESS" not in configs["hearth-listings-config"]["data"]
    assert (
        "HEARTH_LIMIT_REGISTER_ADDRESS"
        not in by_name(rendered(), "ConfigMap")["hearth-accounts-config"]["data"]
    )
