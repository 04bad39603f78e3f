"""The in-cluster data tier as rendered: three members per store, placed so that a
node or a zone takes at most one, each store's HA settings, and names the app chart
relies on (contracts: hearth-data-<store> Services)."""

import json

import pytest
import yaml

from config.services import SERVICES
from helm.tests.chart_rendering import documents
from helm.tests.data_chart_rendering import (
    CHART,
    CI_VALUES,
    STORES,
    env_of,
    named,
    rendered,
    template,
)

ALL_VALUES = [None, *CI_VALUES]


def _statefulset(documents, store):
    return named(documents, "StatefulSet", f"hearth-data-{store}")


def _replicated(values) -> list[str]:
    """The stores a values file keeps as a set of three (the local cluster's
    Elasticsearch is a single node)."""
    settings = yaml.safe_load(values.read_text()) if values else {}
    return [
        s
        for s in STORES
        if (settings.get(s) or {}).get("enabled", True)
        and (settings.get(s) or {}).get("replicas", 3) == 3
    ]


@pytest.mark.parametrize(
    ("values", "store"),
    [(values, store) for values in ALL_VALUES for store in _replicated(values)],
    ids=lambda v: (v.name if v else "defaults") if not isinstance(v, str) else v,
)
def test_three_members_one_per_node_spread_over_zones_at_most_one_down(values, store):
    documents = rendered(values)
    workload = _statefulset(documents, store)
    spec = workload["spec"]
    pod = spec["template"]["spec"]
    selector = spec["selector"]["matchLabels"]
    assert spec["replicas"] == 3
    assert spec["podManagementPolicy"] == "Parallel"
    assert spec["volumeClaimTemplates"][0]["spec"]["accessModes"] == ["ReadWriteOnce"]
    required = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert [(t["topologyKey"], t["labelSelector"]["matchLabels"]) for t in required] == [
        ("kubernetes.io/hostname", selector)
    ]
    spread = {c["topologyKey"]: c for c in pod["topologySpreadConstraints"]}
    assert spread["topology.kubernetes.io/zone"]["maxSkew"] == 1
    assert spread["topology.kubernetes.io/zone"]["labelSelector"]["matchLabels"] == selector
    budget = named(documents, "PodDisruptionBudget", f"hearth-data-{store}")
    assert budget["spec"] == {"maxUnavailable": 1, "selector": {"matchLabels": selector}}


@pytest.mark.parametrize("store", STORES)
def test_every_container_is_locked_down_and_probed(store):
    pod = _statefulset(rendered(), store)["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    for container in pod.get("initContainers", []) + pod["containers"]:
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        assert security["seccompProfile"]["type"] == "RuntimeDefault"
        assert container["resources"]["requests"]
        assert container["resources"]["limits"]
        assert ":latest" not in container["image"]
    for container in pod["containers"]:
        assert {"startupProbe", "livenessProbe", "readinessProbe"} <= container.keys()


def test_only_patroni_mounts_an_api_token():
    documents = rendered()
    mounting = {
        workload["metadata"]["name"]
        for workload in documents
        if workload["kind"] in ("StatefulSet", "Deployment")
        and workload["spec"]["template"]["spec"].get("automountServiceAccountToken")
    }
    assert mounting == {"hearth-data-postgres"}
    for store in ("kafka", "elasticsearch"):
        pod = _statefulset(documents, store)["spec"]["template"]["spec"]
        # The zone lookup's token is in its init container alone.
        assert not any(
            mount["name"] == "api-token"
            for container in pod["containers"]
            for mount in container["volumeMounts"]
        )
        (zone,) = pod["initContainers"]
        assert any(mount["name"] == "api-token" for mount in zone["volumeMounts"])
        role = named(documents, "ClusterRole", f"hearth-hearth-data-{store}-node-reader")
        assert role["rules"] == [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get"]}]


def test_the_local_cluster_runs_one_single_node_elasticsearch_and_no_mail_sink():
    """A node of a set cannot start there (the machine's open-file cap,
    local-values.yaml), a single node can; mail goes to the host's sink, which
    outlives any node."""
    documents = rendered(CHART / "ci" / "local-values.yaml")
    kinds = {(d["kind"], d["metadata"]["name"]) for d in documents}
    assert ("StatefulSet", "hearth-data-kafka") in kinds
    assert not {name for _, name in kinds if "smtp" in name}
    single = _statefulset(documents, "elasticsearch")["spec"]
    assert single["replicas"] == 1
    assert env_of(single["template"]["spec"]["containers"][0])["SINGLE_NODE"] == "true"
    a_set = _statefulset(rendered(None), "elasticsearch")["spec"]["template"]["spec"]
    assert "SINGLE_NODE" not in env_of(a_set["containers"][0])


def test_the_services_the_app_chart_relies_on():
    manifests = documents(template(settings=("smtp.enabled=true",)))
    ports = {
        ("hearth-data-kafka", 9092),
        ("hearth-data-kafka-headless", 9092),
        ("hearth-data-postgres", 5432),
        ("hearth-data-postgres-replicas", 5432),
        ("hearth-data-redis-sentinel", 26379),
        ("hearth-data-redis-headless", 6379),
        ("hearth-data-elasticsearch", 9200),
        ("hearth-data-smtp", 1025),
    }
    services = {
        (d["metadata"]["name"], port["port"])
        for d in manifests
        if d["kind"] == "Service"
        for port in d["spec"]["ports"]
    }
    assert ports <= services
    postgres = named(manifests, "Service", "hearth-data-postgres")
    assert postgres["spec"]["selector"]["role"] == "primary"  # Patroni's label on the leader
    replicas = named(manifests, "Service", "hearth-data-postgres-replicas")
    assert replicas["spec"]["selector"]["role"] == "replica"


def test_kafka_replicates_three_ways_with_two_in_sync_and_racks_from_zones():
    kafka = _statefulset(rendered(), "kafka")["spec"]["template"]["spec"]
    environment = env_of(kafka["containers"][0])
    assert environment["KAFKA_REPLICAS"] == "3"
    assert environment["REPLICATION_FACTOR"] == "3"
    assert environment["MIN_INSYNC_REPLICAS"] == "2"
    assert environment["ZONE_FILE"] == "/zone/zone"
    assert kafka["initContainers"][0]["command"][-1] == "/zone/zone"


def test_patroni_replicates_synchronously_and_signs_in_with_scram_only():
    config = yaml.safe_load(
        named(rendered(), "ConfigMap", "hearth-data-postgres")["data"]["patroni.yml"]
    )
    dcs = config["bootstrap"]["dcs"]
    assert dcs["synchronous_mode"] is True
    assert dcs["synchronous_node_count"] == 1
    # A dead leader is replaced within the 30 s recovery target, and the timing is one
    # Patroni accepts (loop_wait + 2 x retry_timeout <= ttl).
    assert dcs["ttl"] + dcs["loop_wait"] <= 20
    assert dcs["loop_wait"] + 2 * dcs["retry_timeout"] <= dcs["ttl"]
    assert dcs["postgresql"]["parameters"]["password_encryption"] == "scram-sha-256"
    assert {"auth": "scram-sha-256"} in config["bootstrap"]["initdb"]
    assert all(rule.split()[-1] == "scram-sha-256" for rule in config["postgresql"]["pg_hba"])
    assert config["kubernetes"]["use_endpoints"] is False  # ConfigMaps and pod labels
    role = named(rendered(), "Role", "hearth-data-postgres")
    assert {"configmaps", "pods"} == {r for rule in role["rules"] for r in rule["resources"]}


def test_redis_sentinels_need_two_to_agree_and_every_member_has_one():
    pod = _statefulset(rendered(), "redis")["spec"]["template"]["spec"]
    by_name = {container["name"]: container for container in pod["containers"]}
    assert by_name["redis"]["args"] == ["server"]
    assert by_name["sentinel"]["args"] == ["sentinel"]
    assert env_of(by_name["sentinel"])["QUORUM"] == "2"
    assert env_of(by_name["sentinel"])["MASTER_NAME"] == "hearth"


@pytest.mark.parametrize("store", ["redis", "elasticsearch"])
def test_each_deployable_gets_its_own_user_from_its_own_secret(store):
    """The list of deployables is config/services.py's: one added later gets a user."""
    pod = _statefulset(rendered(), store)["spec"]["template"]["spec"]
    (credentials,) = [v for v in pod["volumes"] if v["name"] == "credentials"]
    key = {"redis": "REDIS_URL", "elasticsearch": "ELASTICSEARCH_URL"}[store]
    users = {
        source["secret"]["name"]: source["secret"]["items"]
        for source in credentials["projected"]["sources"]
        if source["secret"]["name"] != "hearth-data-admin"
    }
    assert users == {
        f"hearth-{name}-env": [{"key": key, "path": f"users/{name}"}] for name in SERVICES
    }


def test_the_chart_generates_no_secret():
    for values in ALL_VALUES:
        assert not [d for d in rendered(values) if d["kind"] == "Secret"]


@pytest.mark.parametrize("store", STORES)
def test_a_store_accepts_its_labelled_clients_and_its_peers_only(store):
    documents = rendered()
    policy = named(documents, "NetworkPolicy", f"hearth-data-{store}")
    selector = _statefulset(documents, store)["spec"]["selector"]["matchLabels"]
    assert policy["spec"]["podSelector"]["matchLabels"] == selector
    assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    sources = [rule["from"] for rule in policy["spec"]["ingress"]]
    assert sources == [
        [{"podSelector": {"matchLabels": {f"hearth.io/{store}-client": "true"}}}],
        [{"podSelector": {"matchLabels": selector}}],
    ]


def test_the_schema_file_is_valid_json():
    json.loads((CHART / "values.schema.json").read_text())


def test_the_namespace_baseline_lets_labelled_clients_reach_their_store_before_the_app_chart():
    """The app chart's pre-install Jobs run before its own policies exist: under this
    chart's default deny they reach exactly the stores they are labelled for."""
    documents = rendered(CHART / "ci" / "local-values.yaml")
    deny = named(documents, "NetworkPolicy", "hearth-data-default-deny")["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    for store, ports in {"postgres": [5432], "kafka": [9092], "redis": [6379, 26379]}.items():
        policy = named(documents, "NetworkPolicy", f"hearth-data-{store}-clients")["spec"]
        assert policy["podSelector"] == {"matchLabels": {f"hearth.io/{store}-client": "true"}}
        (rule,) = policy["egress"]
        selector = _statefulset(documents, store)["spec"]["selector"]["matchLabels"]
        assert rule["to"] == [{"podSelector": {"matchLabels": selector}}]
        assert [port["port"] for port in rule["ports"]] == ports
