"""Every Secret the chart references, and every key it reads from one, is made by
devstack/k8s_secrets.py; what it makes holds the right credentials and keys."""

import pytest
import yaml

from config.services import SERVICES
from devstack import k8s_secrets
from helm.tests.chart_rendering import (
    CHART,
    CI_VALUES,
    ROOT,
    documents,
    of_kind,
    pod_spec,
    rendered,
    template,
)

DATA_CHART = ROOT / "helm" / "hearth-data"
DATA_CI_VALUES = sorted((DATA_CHART / "ci").glob("*-values.yaml"))

# The hosts of the in-cluster install, whose self-signed certificate the generator makes.
LOCAL_HOSTS = yaml.safe_load((CHART / "ci" / "incluster-values.yaml").read_text())["ingress"][
    "hosts"
]


@pytest.fixture(scope="module")
def generated() -> dict[str, dict[str, str]]:
    return {
        doc["metadata"]["name"]: doc.get("stringData") or doc["data"]
        for doc in k8s_secrets.manifests("hearth", "hearth-data", tls_hosts=LOCAL_HOSTS)
    }


def referenced_secrets(documents: list[dict]) -> dict[str, set[str]]:
    """Secret name -> the keys read from it (an empty set: read whole)."""
    wanted: dict[str, set[str]] = {}
    kinds = ("Deployment", "StatefulSet", "Job")
    for workload in [doc for kind in kinds for doc in of_kind(documents, kind)]:
        spec = pod_spec(workload)
        for container in [*spec.get("initContainers", []), *spec["containers"]]:
            for source in container.get("envFrom", []):
                if "secretRef" in source:
                    wanted.setdefault(source["secretRef"]["name"], set())
            for variable in container.get("env", []):
                ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    wanted.setdefault(ref["name"], set()).add(ref["key"])
        for volume in spec.get("volumes", []):
            if "secret" in volume:
                items = {item["key"] for item in volume["secret"].get("items", [])}
                wanted.setdefault(volume["secret"]["secretName"], set()).update(items)
            for source in volume.get("projected", {}).get("sources", []):
                if "secret" in source:
                    items = {item["key"] for item in source["secret"].get("items", [])}
                    wanted.setdefault(source["secret"]["name"], set()).update(items)
    return wanted


@pytest.mark.parametrize(
    "values_file", [None, *CI_VALUES], ids=lambda p: p.name if p else "defaults"
)
def test_the_generator_makes_every_secret_the_chart_reads(generated, values_file):
    documents = rendered(values_file)
    wanted = referenced_secrets(documents)
    for ingress in of_kind(documents, "Ingress"):
        for tls in ingress["spec"].get("tls", []):
            wanted.setdefault(tls["secretName"], set()).update({"tls.crt", "tls.key"})
    assert set(wanted) <= set(generated)
    for name, keys in wanted.items():
        assert keys <= set(generated[name]), name


@pytest.mark.parametrize("values_file", DATA_CI_VALUES, ids=lambda p: p.name)
def test_the_generator_makes_every_secret_the_data_tier_reads(generated, values_file):
    # The data tier's release reads the same Secrets (and its own admin's): made here too.
    wanted = referenced_secrets(
        documents(template(values_file, chart=DATA_CHART, release="hearth-data"))
    )
    assert wanted, "the data tier reads no Secret?"
    assert set(wanted) <= set(generated)
    for name, keys in wanted.items():
        assert keys <= set(generated[name]), name


def test_each_deployable_gets_its_own_credentials_and_only_its_own_private_key(generated):
    secret_keys = {generated[f"hearth-{name}-env"]["DJANGO_SECRET_KEY"] for name in SERVICES}
    assert len(secret_keys) == len(SERVICES)
    for name in SERVICES:
        env = generated[f"hearth-{name}-env"]
        assert "HEARTH_JWT_KEY_DIR" not in env  # the chart's ConfigMap sets the mount path
        assert "@hearth-data-redis-headless:6379/" in env["REDIS_URL"]
        keys = generated[f"hearth-{name}-jwt"]
        assert [k for k in keys if k.endswith(".key.pem")] == [f"{name}.key.pem"]
        assert {f"{other}.pub.pem" for other in SERVICES} <= set(keys)


def test_the_data_tier_admin_matches_the_provisioning_credentials(generated):
    provisioning, admin = generated["hearth-provisioning"], generated["hearth-data-admin"]
    assert "@hearth-data-postgres:5432/" in provisioning["DATABASE_ADMIN_URL"]
    assert admin["POSTGRES_SUPERUSER_PASSWORD"] in provisioning["DATABASE_ADMIN_URL"]
    assert admin["KAFKA_ADMIN_PASSWORD"] == provisioning["KAFKA_ADMIN_PASSWORD"]
    # The data tier's own users, which no Hearth process has.
    for name in (
        "POSTGRES_REPLICATION_PASSWORD",
        "REDIS_ADMIN_PASSWORD",
        "ELASTICSEARCH_ADMIN_PASSWORD",
    ):
        assert len(admin[name]) >= 32
        assert all(
            admin[name] not in env.values() for env in generated.values() if env is not admin
        )


def test_the_local_certificate_names_the_local_hosts(generated):
    from cryptography import x509

    certificate = x509.load_pem_x509_certificate(
        __import__("base64").b64decode(generated["hearth-tls"]["tls.crt"])
    )
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sorted(names.get_values_for_type(x509.DNSName)) == sorted(LOCAL_HOSTS)
