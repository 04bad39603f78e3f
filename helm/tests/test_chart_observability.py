"""Tracing and metrics in the app chart (docs/observability.md, "In Kubernetes"): the
tracing settings reach every deployable when an endpoint is given and none otherwise;
every process that serves /metrics says where (web on its HTTP port, relays,
consumers and workers on a port of their own); the scraper is let in on exactly those
ports, and spans may leave only to the collector."""

import pytest
import yaml

from config.services import SERVICES
from helm.tests.chart_rendering import CHART, by_name, of_kind, pod_spec, rendered, template

IN_CLUSTER = CHART / "ci" / "incluster-values.yaml"
EXTERNAL = CHART / "ci" / "external-values.yaml"
SCRAPER = {
    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "vmagent"}},
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "observability"}},
}


def test_no_endpoint_no_tracing_settings():
    for name in SERVICES:
        data = by_name(rendered(), "ConfigMap")[f"hearth-{name}-config"]["data"]
        assert not [key for key in data if key.startswith("OTEL_")]


@pytest.mark.parametrize("values", [IN_CLUSTER, EXTERNAL], ids=lambda p: p.name)
def test_every_deployable_gets_the_tracing_settings(values):
    tracing = yaml.safe_load(values.read_text())["observability"]["tracing"]
    configs = by_name(rendered(values), "ConfigMap")
    for name in SERVICES:
        data = configs[f"hearth-{name}-config"]["data"]
        assert data["OTEL_EXPORTER_ZIPKIN_ENDPOINT"] == tracing["zipkinEndpoint"]
        assert data["OTEL_TRACES_SAMPLER_ARG"] == tracing["samplerRatio"]
        assert data["HEARTH_TRACE_KEEP_SLOW_MS"] == "500"


def test_every_process_says_where_its_metrics_are():
    for workload in of_kind(rendered(IN_CLUSTER), "Deployment"):
        labels = workload["spec"]["template"]["metadata"]["labels"]
        if "hearth.io/deployable" not in labels:
            continue  # Traefik
        process = labels["app.kubernetes.io/component"]
        annotations = workload["spec"]["template"]["metadata"]["annotations"]
        (container,) = pod_spec(workload)["containers"]
        env = {item["name"]: item.get("value") for item in container.get("env", [])}
        ports = {port["name"]: port["containerPort"] for port in container.get("ports", [])}
        if process == "beat":
            assert "prometheus.io/scrape" not in annotations
            assert "HEARTH_METRICS_PORT" not in env
            continue
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/path"] == "/metrics"
        if process == "web":
            assert annotations["prometheus.io/port"] == "8000"
            assert ports == {"http": 8000}
            assert "HEARTH_METRICS_PORT" not in env
        else:
            assert annotations["prometheus.io/port"] == "9102"
            assert env["HEARTH_METRICS_PORT"] == "9102"
            assert ports == {"metrics": 9102}


def _scraper_ports(policies: dict, name: str) -> list[int]:
    return [
        port["port"]
        for rule in policies[name]["spec"].get("ingress", [])
        if SCRAPER in rule["from"]
        for port in rule["ports"]
    ]


def test_the_scraper_is_let_in_on_the_metrics_ports_only():
    policies = by_name(rendered(IN_CLUSTER), "NetworkPolicy")
    for name, service in SERVICES.items():
        assert _scraper_ports(policies, f"hearth-{name}-ingress") == [8000]
        metered = [
            process
            for process, runs in (
                ("relay", service.publishes_events),
                ("consumers", service.consumes_events),
                ("worker", service.celery_worker),
            )
            if runs
        ]
        if not metered:
            assert f"hearth-{name}-metrics" not in policies
            continue
        policy = policies[f"hearth-{name}-metrics"]
        (expression,) = policy["spec"]["podSelector"]["matchExpressions"]
        assert sorted(expression["values"]) == sorted(metered)
        assert _scraper_ports(policies, f"hearth-{name}-metrics") == [9102]
        assert len(policy["spec"]["ingress"]) == 1
    # Nothing else admits the scraper.
    admitting = {name for name in policies if _scraper_ports(policies, name)}
    assert all(name.endswith(("-ingress", "-metrics")) for name in admitting)


def test_spans_may_leave_to_the_collector_only():
    policies = by_name(rendered(IN_CLUSTER), "NetworkPolicy")
    collector = {
        "to": [
            {
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": "zipkin"}},
                "namespaceSelector": {
                    "matchLabels": {"kubernetes.io/metadata.name": "observability"}
                },
            }
        ],
        "ports": [{"protocol": "TCP", "port": 9411}],
    }
    for name in SERVICES:
        assert collector in policies[f"hearth-{name}-egress"]["spec"]["egress"]
    external = by_name(rendered(EXTERNAL), "NetworkPolicy")["hearth-accounts-egress"]
    assert {
        "to": [{"ipBlock": {"cidr": "10.30.0.0/24"}}],
        "ports": [{"protocol": "TCP", "port": 443}],
    } in external["spec"]["egress"]
    untraced = by_name(rendered(), "NetworkPolicy")["hearth-accounts-egress"]
    assert "9411" not in str(untraced["spec"]["egress"])


def test_the_scrape_config_keeps_annotated_pods_labelled_as_the_local_stack():
    config = yaml.safe_load(
        by_name(rendered(), "ConfigMap")["hearth-scrape-config"]["data"]["scrape.yaml"]
    )
    (job,) = config["scrape_configs"]
    assert job["kubernetes_sd_configs"][0]["namespaces"] == {"names": ["hearth"]}
    targets = {rule.get("target_label") for rule in job["relabel_configs"]}
    assert {"__address__", "__metrics_path__", "service", "process"} <= targets


def test_an_endpoint_without_a_collector_to_reach_is_refused():
    completed = template(
        settings=("observability.tracing.zipkinEndpoint=http://zipkin:9411/api/v2/spans",)
    )
    assert completed.returncode != 0
    assert "observability.tracing.collector" in completed.stderr, completed.stderr


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        (
            "observability.tracing.zipkinEndpoint=zipkin:9411",
            "observability/tracing/zipkinEndpoint",
        ),
        ("observability.tracing.samplerRatio=2", "observability/tracing/samplerRatio"),
        ("observability.tracing.keepSlowMs=-1", "observability/tracing/keepSlowMs"),
        ("observability.metrics.port=8000", "observability/metrics/port"),
        ("observability.metrics.port=80", "observability/metrics/port"),
        ("observability.metrics.scraper.podLabels={}", "observability/metrics/scraper/podLabels"),
        (
            "observability.tracing.collector.cidrs={anywhere}",
            "observability/tracing/collector/cidrs/0",
        ),
        ("observability.metrics.path=/stats", "observability/metrics"),  # a misspelt key
    ],
)
def test_the_schema_refuses_a_bad_observability_value(setting, named):
    completed = template(settings=(setting,))
    assert completed.returncode != 0, f"{setting} was accepted"
    assert "values don't meet the specifications of the schema" in completed.stderr
    assert named in completed.stderr, completed.stderr
