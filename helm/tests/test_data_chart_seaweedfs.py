"""The data chart's SeaweedFS (the listing photos' object storage) as rendered: off
unless asked for; a Raft quorum of masters, volume servers whose rack is their zone
and whose copies go to another rack, filers and S3 gateways, each placed one per node
across zones with a disruption budget; the bucket hook Job; who may reach which port."""

import pytest
import yaml

from helm.tests.data_chart_rendering import CHART, env_of, named, rendered, template

LOCAL = CHART / "ci" / "local-values.yaml"
PRODUCTION = CHART / "ci" / "production-values.yaml"
ROLES = ("master", "volume", "filer")


def _args(workload: dict) -> list[str]:
    return workload["spec"]["template"]["spec"]["containers"][0]["args"]


def _flag(args: list[str], name: str) -> str:
    (value,) = [arg.split("=", 1)[1] for arg in args if arg.startswith(f"-{name}=")]
    return value


def test_off_by_default():
    assert not [d for d in rendered() if "seaweedfs" in d["metadata"]["name"]]


@pytest.mark.parametrize("values", [LOCAL, PRODUCTION], ids=lambda p: p.name)
def test_every_role_is_spread_one_per_node_over_zones_with_a_budget(values):
    documents = rendered(values)
    settings = yaml.safe_load(values.read_text())["seaweedfs"]
    workloads = [named(documents, "StatefulSet", f"hearth-data-seaweedfs-{r}") for r in ROLES]
    workloads.append(named(documents, "Deployment", "hearth-data-seaweedfs-s3"))
    for workload in workloads:
        role = workload["metadata"]["name"].rsplit("-", 1)[1]
        expected = (settings.get(role) or {}).get("replicas")
        assert workload["spec"]["replicas"] == (expected or {"s3": 2}.get(role, 3))
        pod = workload["spec"]["template"]["spec"]
        selector = workload["spec"]["selector"]["matchLabels"]
        required = pod["affinity"]["podAntiAffinity"][
            "requiredDuringSchedulingIgnoredDuringExecution"
        ]
        assert [t["topologyKey"] for t in required] == ["kubernetes.io/hostname"]
        zones = {c["topologyKey"]: c for c in pod["topologySpreadConstraints"]}
        assert zones["topology.kubernetes.io/zone"]["labelSelector"]["matchLabels"] == selector
        budget = named(documents, "PodDisruptionBudget", workload["metadata"]["name"])
        assert budget["spec"] == {"maxUnavailable": 1, "selector": {"matchLabels": selector}}
        for container in pod.get("initContainers", []) + pod["containers"]:
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert container["image"].endswith(":4.48") or "postgres" in container["image"]
        assert pod["automountServiceAccountToken"] is False


def test_masters_form_one_quorum_and_replicate_across_racks_which_are_zones():
    documents = rendered(PRODUCTION)
    master = _args(named(documents, "StatefulSet", "hearth-data-seaweedfs-master"))
    peers = _flag(master, "peers").split(",")
    assert peers == [
        f"hearth-data-seaweedfs-master-{i}.hearth-data-seaweedfs-master-headless.hearth.svc:9333"
        for i in range(3)
    ]
    # 010: a second copy on another rack of the data center.
    assert _flag(master, "defaultReplication") == "010"
    volume = named(documents, "StatefulSet", "hearth-data-seaweedfs-volume")
    pod = volume["spec"]["template"]["spec"]
    (zone,) = pod["initContainers"]
    assert zone["command"][0] == "/usr/local/bin/hearth-node-zone"
    container = pod["containers"][0]
    # hearth-seaweedfs adds -rack=<the zone file> and -dataCenter.
    assert container["args"][0] == "volume"
    assert env_of(container)["ZONE_FILE"] == "/zone/zone"
    assert env_of(container)["DATA_CENTER"] == "eu-west-1"
    assert _flag(container["args"], "master").split(",") == peers
    # Only the zone lookup holds a token.
    assert not any(m["name"] == "api-token" for m in container["volumeMounts"])
    filer = _args(named(documents, "StatefulSet", "hearth-data-seaweedfs-filer"))
    assert "-disableDirListing" in filer
    assert _flag(filer, "port.readonly") == "8889"


def test_the_s3_gateway_reads_only_the_object_storage_keys():
    documents = rendered(LOCAL)
    pod = named(documents, "Deployment", "hearth-data-seaweedfs-s3")["spec"]["template"]["spec"]
    (credentials,) = [v for v in pod["volumes"] if v["name"] == "credentials"]
    sources = {
        source["secret"]["name"]: {item["key"] for item in source["secret"]["items"]}
        for source in credentials["projected"]["sources"]
    }
    assert sources == {
        "hearth-data-admin": {
            "OBJECT_STORAGE_ADMIN_ACCESS_KEY_ID",
            "OBJECT_STORAGE_ADMIN_SECRET_ACCESS_KEY",
        },
        "hearth-listings-env": {
            "OBJECT_STORAGE_ACCESS_KEY_ID",
            "OBJECT_STORAGE_SECRET_ACCESS_KEY",
        },
    }
    assert env_of(pod["containers"][0])["BUCKETS"] == "hearth-cluster"


def test_the_buckets_are_made_by_a_hook_after_install_and_upgrade():
    job = named(rendered(LOCAL), "Job", "hearth-data-seaweedfs-buckets")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "post-install,post-upgrade"
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["buckets"]
    assert env_of(container)["BUCKETS"] == "hearth-cluster"


def _ingress_rules(documents, name):
    return named(documents, "NetworkPolicy", name)["spec"]["ingress"]


def test_clients_reach_the_s3_api_and_the_ingress_the_read_only_port_only():
    documents = rendered(LOCAL)
    assert _ingress_rules(documents, "hearth-data-seaweedfs-s3") == [
        {
            "from": [{"podSelector": {"matchLabels": {"hearth.io/objectstorage-client": "true"}}}],
            "ports": [{"protocol": "TCP", "port": 8333}],
        }
    ]
    assert _ingress_rules(documents, "hearth-data-seaweedfs-filer") == [
        {
            "from": [{"podSelector": {"matchLabels": {"hearth.io/media-client": "true"}}}],
            "ports": [{"protocol": "TCP", "port": 8889}],
        }
    ]
    (internal,) = _ingress_rules(documents, "hearth-data-seaweedfs")
    assert 8333 not in {port["port"] for port in internal["ports"]}
    assert 8889 not in {port["port"] for port in internal["ports"]}
    service = named(documents, "Service", "hearth-data-seaweedfs-filer")
    assert [p["port"] for p in service["spec"]["ports"]] == [8889]


@pytest.mark.parametrize(
    ("setting", "named_path"),
    [
        ("seaweedfs.tag=latest", "seaweedfs/tag"),
        ("seaweedfs.defaultReplication=000", "seaweedfs/defaultReplication"),
        ("seaweedfs.defaultReplication=3", "seaweedfs/defaultReplication"),
        ("seaweedfs.master.replicas=2", "seaweedfs/master/replicas"),
        ("seaweedfs.volume.replicas=1", "seaweedfs/volume/replicas"),
        ("seaweedfs.buckets={Photos_Bucket}", "seaweedfs/buckets/0"),
        ("seaweedfs.buckets={}", "seaweedfs/buckets"),
        ("seaweedfs.volume.minFreeSpace=lots", "seaweedfs/volume/minFreeSpace"),
        ("seaweedfs.filer.storage=big", "seaweedfs/filer/storage"),
        ("seaweedfs.gateway.replicas=2", "seaweedfs"),  # a misspelt key
    ],
)
def test_the_schema_refuses_a_bad_value_and_names_it(setting, named_path):
    completed = template(settings=("seaweedfs.enabled=true", setting))
    assert completed.returncode != 0, f"{setting} was accepted"
    assert "values don't meet the specifications of the schema" in completed.stderr
    assert named_path in completed.stderr, completed.stderr
