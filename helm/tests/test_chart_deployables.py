"""The chart runs exactly what config/services.py declares: each deployable's
processes, routes, callees and stores. A deployable added there (search,
analytics) without its chart values fails here."""

import pytest

from config.services import SERVICES, Service
from helm.tests.chart_rendering import CHART, CI_VALUES, by_name, of_kind, pod_spec, rendered


def expected_processes(service: Service) -> set[str]:
    wanted = {
        "web": True,
        "relay": service.publishes_events,
        "consumers": service.consumes_events,
        "worker": service.celery_worker,
        "beat": service.celery_beat,
    }
    return {process for process, runs in wanted.items() if runs}


def expected_stores(service: Service) -> set[str]:
    stores = {"postgres", "redis"}  # every deployable: its schema, its cache
    if service.publishes_events or service.consumes_events:
        stores.add("kafka")
    if service.sends_email:
        stores.add("smtp")
    if service.searches:
        stores.add("elasticsearch")
    if service.object_storage:
        stores.add("objectstorage")
    return stores


def chart_values() -> dict:
    import yaml

    return yaml.safe_load((CHART / "values.yaml").read_text())


def test_values_declare_every_deployable_as_services_py_does():
    deployables = chart_values()["deployables"]
    assert set(deployables) == set(SERVICES)
    for name, service in SERVICES.items():
        values = deployables[name]
        assert set(values["processes"]) == expected_processes(service), name
        assert tuple(values["apiPrefixes"]) == service.api_prefixes, name
        assert tuple(values["calls"]) == service.calls, name
        assert set(values["stores"]) == expected_stores(service), name


@pytest.mark.parametrize(
    "values_file", [None, *CI_VALUES], ids=lambda p: p.name if p else "defaults"
)
def test_rendered_workloads_are_the_declared_processes(values_file):
    documents = rendered(values_file)
    running = {
        (
            d["metadata"]["labels"]["hearth.io/deployable"],
            d["metadata"]["labels"]["app.kubernetes.io/component"],
        )
        for d in of_kind(documents, "Deployment")
        if "hearth.io/deployable" in d["metadata"]["labels"]
    }
    declared = {(name, p) for name, s in SERVICES.items() for p in expected_processes(s)}
    assert running == declared
    deployments = by_name(documents, "Deployment")
    for name, process in declared:
        container = pod_spec(deployments[f"hearth-{name}-{process}"])["containers"][0]
        assert container["args"] == [process]
        assert container["image"].rsplit("/", 1)[1].startswith(f"hearth-{name}:")
    services = by_name(documents, "Service")
    assert {f"hearth-{name}" for name in SERVICES} <= set(services)
    assert {d["metadata"]["name"] for d in of_kind(documents, "PodDisruptionBudget")} >= {
        f"hearth-{name}-{process}" for name, process in declared
    }


def test_relay_runs_twice_and_beat_once():
    deployments = by_name(rendered(), "Deployment")
    for name, service in SERVICES.items():
        if service.publishes_events:
            assert deployments[f"hearth-{name}-relay"]["spec"]["replicas"] == 2
        if service.celery_beat:
            beat = deployments[f"hearth-{name}-beat"]["spec"]
            assert beat["replicas"] == 1
            assert beat["strategy"] == {"type": "Recreate"}


def test_a_slow_web_pod_leaves_the_service_long_before_it_is_restarted():
    # Slowness is readiness' business; liveness restarts only a pod that has not
    # answered for a minute (a restart under CPU overload adds a boot to it).
    deployments = by_name(rendered(), "Deployment")
    for name in SERVICES:
        container = pod_spec(deployments[f"hearth-{name}-web"])["containers"][0]
        live, ready = container["livenessProbe"], container["readinessProbe"]
        assert live["httpGet"]["path"] == "/healthz"
        assert live["periodSeconds"] * live["failureThreshold"] >= 60
        assert live["timeoutSeconds"] >= 10
        unready_after = ready["periodSeconds"] * ready["failureThreshold"]
        assert unready_after < live["periodSeconds"] * live["failureThreshold"]


def test_each_deployable_is_given_its_callees_addresses():
    configs = by_name(rendered(), "ConfigMap")
    for name, service in SERVICES.items():
        data = configs[f"hearth-{name}-config"]["data"]
        # The <NAME>_URL of deployables, not the public address nor the photos' store.
        other_urls = {"HEARTH_PUBLIC_URL", "PHOTOS_PUBLIC_URL", "OBJECT_STORAGE_ENDPOINT_URL"}
        urls = {key for key in data if key.endswith("_URL") and key not in other_urls}
        assert urls == {f"{callee.upper()}_URL" for callee in {name, *service.calls}}
        for callee in service.calls:
            assert data[f"{callee.upper()}_URL"] == f"http://hearth-{callee}:8000"


def test_web_accepts_only_the_ingress_controller_and_its_callers():
    policies = by_name(rendered(), "NetworkPolicy")
    for name in SERVICES:
        sources = policies[f"hearth-{name}-ingress"]["spec"]["ingress"][0]["from"]
        admitted = {
            peer["podSelector"]["matchLabels"].get("hearth.io/deployable")
            or peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
            for peer in sources
        }
        callers = {caller for caller, s in SERVICES.items() if name in s.calls}
        assert admitted == {"ingress-controller", *callers}


def test_every_api_prefix_is_routed_to_its_deployable_and_internal_is_refused():
    ingresses = by_name(rendered(), "Ingress")
    routes = {
        path["path"]: path["backend"]["service"]["name"]
        for path in ingresses["hearth"]["spec"]["rules"][0]["http"]["paths"]
    }
    refused = ingresses["hearth-internal-refused"]
    refused_paths = {p["path"] for p in refused["spec"]["rules"][0]["http"]["paths"]}
    assert refused["metadata"]["annotations"][
        "traefik.ingress.kubernetes.io/router.middlewares"
    ] == ("hearth-internal-refused@file")
    assert routes["/"] == "hearth-frontend"
    for name, service in SERVICES.items():
        for prefix in service.api_prefixes:
            assert routes[f"/api/v1/{prefix}"] == f"hearth-{name}"
            assert f"/api/v1/{prefix}/internal" in refused_paths
        assert routes[f"/admin/{name}/"] == f"hearth-{name}"


def test_a_signing_key_is_mounted_only_in_its_own_deployables_pods():
    documents = rendered()
    workloads = [*of_kind(documents, "Deployment"), *of_kind(documents, "Job")]
    mounted = 0
    for workload in workloads:
        own = workload["spec"]["template"]["metadata"]["labels"].get("hearth.io/deployable")
        for volume in pod_spec(workload).get("volumes", []):
            if "secret" in volume and volume["secret"]["secretName"].endswith("-jwt"):
                assert volume["secret"]["secretName"] == f"hearth-{own}-jwt", workload["metadata"]
                mounted += 1
    assert mounted >= len(SERVICES)
