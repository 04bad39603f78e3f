"""The overlays do what docs/deployment.md says they do: each zone runs its own cell of
the web tier, pinned to its zone and reachable through the regional Services, which
keep traffic in the caller's zone; the regional release holds everything else; local
and production differ in registry, data tier, TLS and autoscaling bounds."""

import pytest
import yaml

from devstack import release
from helm.tests.deploy_rendering import (
    OVERLAYS,
    Rendering,
    environments,
    labels_match,
    of_kind,
    overlay_rendering,
    run,
    target,
    template,
    zones,
)

CELL_KINDS = {"Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget"}
ZONE_KEY = "topology.kubernetes.io/zone"


def zone_map(environment: str) -> dict[str, str]:
    return yaml.safe_load((OVERLAYS / environment / "zones.yaml").read_text())["data"]


def pod_labels(workload: dict) -> dict:
    return workload["spec"]["template"]["metadata"]["labels"]


def required_zones(deployment: dict) -> list[list[str]]:
    terms = (
        deployment["spec"]["template"]["spec"]
        .get("affinity", {})
        .get("nodeAffinity", {})
        .get("requiredDuringSchedulingIgnoredDuringExecution", {})
        .get("nodeSelectorTerms", [])
    )
    return [
        expression["values"]
        for term in terms
        for expression in term["matchExpressions"]
        if expression["key"] == ZONE_KEY and expression["operator"] == "In"
    ]


def web_services(environment: str) -> dict[str, dict]:
    services = of_kind(overlay_rendering(environment, "regional").documents, "Service")
    return {
        service["metadata"]["name"]: service
        for service in services
        if service["spec"].get("selector", {}).get("app.kubernetes.io/component") == "web"
    }


@pytest.mark.parametrize("environment", environments())
@pytest.mark.parametrize("zone", zones())
def test_a_zone_cell_is_the_web_tier_pinned_to_its_zone(environment, zone):
    documents = overlay_rendering(environment, zone).documents
    assert {doc["kind"] for doc in documents} == CELL_KINDS
    deployments = of_kind(documents, "Deployment")
    for deployment in deployments:
        name = deployment["metadata"]["name"]
        assert name.endswith(f"-{zone}"), name
        assert pod_labels(deployment)["app.kubernetes.io/component"] == "web", name
        assert required_zones(deployment) == [[zone_map(environment)[zone]]], name
    names = {deployment["metadata"]["name"] for deployment in deployments}
    for hpa in of_kind(documents, "HorizontalPodAutoscaler"):
        assert hpa["spec"]["scaleTargetRef"]["name"] in names
    for pdb in of_kind(documents, "PodDisruptionBudget"):
        selected = [
            d
            for d in deployments
            if labels_match(pdb["spec"]["selector"]["matchLabels"], pod_labels(d))
        ]
        assert len(selected) == 1, pdb["metadata"]["name"]


@pytest.mark.parametrize("environment", environments())
@pytest.mark.parametrize("zone", zones())
def test_every_web_service_has_pods_in_every_zone_cell(environment, zone):
    cell = of_kind(overlay_rendering(environment, zone).documents, "Deployment")
    services = web_services(environment)
    assert services, "no web Services in the regional release"
    for name, service in services.items():
        selected = [d for d in cell if labels_match(service["spec"]["selector"], pod_labels(d))]
        assert len(selected) == 1, f"Service {name} selects {len(selected)} Deployments of {zone}"


@pytest.mark.parametrize("environment", environments())
def test_the_regional_release_routes_in_zone_and_runs_no_web_pods(environment):
    documents = overlay_rendering(environment, "regional").documents
    for service in of_kind(documents, "Service"):
        assert service["spec"].get("trafficDistribution") == "PreferClose", service["metadata"][
            "name"
        ]
    assert not [
        d["metadata"]["name"]
        for d in of_kind(documents, "Deployment")
        if pod_labels(d).get("app.kubernetes.io/component") == "web"
    ]
    assert not [d for d in documents if d.get("metadata", {}).get("name") == "hearth-zones"]


@pytest.mark.parametrize("environment", environments())
def test_no_two_releases_own_the_same_object(environment):
    # Helm refuses to adopt an object another release owns: names must not collide.
    owners = {}
    for cell in ["regional", *zones()]:
        for doc in overlay_rendering(environment, cell).documents:
            key = (doc["kind"], doc["metadata"]["name"])
            assert key not in owners, f"{key} is in both {owners[key]} and {cell}"
            owners[key] = cell


def test_the_zones_of_an_environment_are_distinct():
    for environment in environments():
        assert len(set(zone_map(environment).values())) == len(zones())
        assert sorted(zone_map(environment)) == zones()


def images(environment: str) -> set[str]:
    documents = [
        doc
        for cell in ["regional", *zones()]
        for doc in overlay_rendering(environment, cell).documents
    ]
    return {
        container["image"]
        for workload in documents
        if workload["kind"] in {"Deployment", "StatefulSet", "Job"}
        for container in workload["spec"]["template"]["spec"]["containers"]
    }


def test_local_pulls_from_the_local_registry_and_production_from_its_own():
    assert all(image.startswith("10.250.0.1:5000/hearth/") for image in images("local"))
    assert all(image.startswith("registry.example.com/hearth/") for image in images("production"))


def config_values(environment: str, key: str) -> set[str]:
    config_maps = of_kind(overlay_rendering(environment, "regional").documents, "ConfigMap")
    return {cm["data"][key] for cm in config_maps if key in cm.get("data", {})}


def test_local_uses_the_in_cluster_data_tier_and_production_managed_services():
    assert config_values("local", "DATABASE_HOST") == {"hearth-data-postgres"}
    production_hosts = config_values("production", "DATABASE_HOST")
    assert production_hosts
    assert not any(host.startswith("hearth-data-") for host in production_hosts)
    assert not any(
        "hearth-data-" in value for value in config_values("production", "KAFKA_BOOTSTRAP_SERVERS")
    )


def tls_ingresses(environment: str) -> list[dict]:
    ingresses = of_kind(overlay_rendering(environment, "regional").documents, "Ingress")
    assert ingresses
    for ingress in ingresses:
        secrets = [tls["secretName"] for tls in ingress["spec"].get("tls", [])]
        assert secrets == ["hearth-tls"], ingress["metadata"]["name"]
    return ingresses


def test_both_serve_tls_production_from_cert_manager_local_self_signed():
    # HTTPS everywhere: outside HEARTH_ENV=local the settings redirect to it.
    for ingress in tls_ingresses("production"):
        assert "cert-manager.io/cluster-issuer" in ingress["metadata"]["annotations"]
    for ingress in tls_ingresses("local"):
        assert "cert-manager.io/cluster-issuer" not in ingress["metadata"].get("annotations", {})


def hpa_bounds(environment: str, cell: str) -> dict[str, tuple[int, int]]:
    return {
        hpa["metadata"]["name"].removesuffix(f"-{cell}"): (
            hpa["spec"]["minReplicas"],
            hpa["spec"]["maxReplicas"],
        )
        for hpa in of_kind(
            overlay_rendering(environment, cell).documents, "HorizontalPodAutoscaler"
        )
    }


@pytest.mark.parametrize("cell", ["regional", *zones()])
def test_production_autoscales_wider_than_local(cell):
    local, production = hpa_bounds("local", cell), hpa_bounds("production", cell)
    assert local
    assert local.keys() == production.keys()
    for name, (local_min, local_max) in local.items():
        production_min, production_max = production[name]
        assert production_max > local_max, name
        assert production_min >= local_min, name


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["staging", "regional"], "no environment overlay 'staging'"),
        (["local", "zone-d"], "no zone 'zone-d'"),
        (["local", "everything"], "CELL must be regional or zone-<x>"),
        (["local"], "usage: post-render ENVIRONMENT CELL"),
    ],
)
def test_post_render_refuses_an_unknown_environment_or_cell(arguments, said):
    completed = run(str(OVERLAYS / "post-render"), *arguments, stdin="")
    assert completed.returncode == 2
    assert said in completed.stderr


def test_every_overlay_folder_is_checked():
    # An environment needs values.yaml (how it is found), a kustomization and a zone map.
    known = {"base", "components", *zones()}
    for folder in sorted(path for path in OVERLAYS.iterdir() if path.is_dir()):
        if folder.name in known:
            continue
        assert folder.name in environments(), f"{folder.name}/ has no values.yaml: never rendered"
        assert (folder / "kustomization.yaml").exists(), folder.name
        assert (folder / "zones.yaml").exists(), folder.name


@pytest.mark.parametrize("environment", environments())
@pytest.mark.parametrize("zone", zones())
def test_a_cell_s_pods_keep_every_label_of_the_chart_s_web_pods(environment, zone):
    # The data tier's and the callees' NetworkPolicies admit pods by these labels.
    arguments = release.app_chart_arguments(target(environment), "regional")
    chart_only = arguments[: arguments.index("--post-renderer")]
    plain = Rendering("plain", template("hearth", chart_only)).documents
    originals = {
        d["metadata"]["name"]: pod_labels(d)
        for d in of_kind(plain, "Deployment")
        if pod_labels(d).get("app.kubernetes.io/component") == "web"
    }
    cell = {
        d["metadata"]["name"].removesuffix(f"-{zone}"): pod_labels(d)
        for d in of_kind(overlay_rendering(environment, zone).documents, "Deployment")
    }
    assert cell.keys() == originals.keys()
    for name, labels in originals.items():
        assert labels.items() <= cell[name].items(), name
        assert cell[name]["hearth.io/cell"] == zone
