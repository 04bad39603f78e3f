"""The observability chart (helm/hearth-observability; docs/observability.md, "In
Kubernetes"): its rules and dashboards are the local stack's; the real VictoriaMetrics
and vmalert binaries accept the scrape job it mounts from the app chart and the rules
it packages; only VictoriaMetrics gets an API token, for listing and watching pods;
Zipkin keeps spans in memory or in Elasticsearch as the values say; and with the app
chart pointed at it (its app-values.yaml), each chart's NetworkPolicies let in what
the other sends: spans to Zipkin, scrapes of the app's metrics ports."""

import subprocess
from functools import cache
from pathlib import Path

import pytest
import yaml

from devstack import observability as local_stack
from devstack import release
from devstack.tools import tool_path
from helm.tests.chart_rendering import CHART as APP_CHART
from helm.tests.chart_rendering import ROOT, by_name, documents, of_kind, pod_spec, template
from helm.tests.deploy_rendering import Rendering, cells, data_rendering
from helm.tests.deploy_rendering import target as deploy_target
from helm.tests.deploy_rendering import template as deploy_template
from helm.tests.test_deploy_policies import policy_failures
from helm.tests.test_deploy_schemas import problems as schema_problems

CHART = ROOT / "helm" / "hearth-observability"
RELEASE = "hearth-observability"
NAMESPACE = "hearth"  # chart_rendering renders every chart into it
LOCAL = CHART / "ci" / "local-values.yaml"
PRODUCTION = CHART / "ci" / "production-values.yaml"
APP_VALUES = CHART / "app-values.yaml"
APP_IN_CLUSTER = APP_CHART / "ci" / "incluster-values.yaml"
VM = f"{RELEASE}-victoria-metrics"
TOKEN_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


def render(*values: Path, settings: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return template(*values, settings=settings, chart=CHART, release=RELEASE)


@cache
def rendered(*values: Path) -> list[dict]:
    return documents(render(*values))


@cache
def app_rendered(*values: Path) -> list[dict]:
    return documents(template(*values))


def tcp(port: int) -> dict:
    return {"protocol": "TCP", "port": port}


def workloads(documents: list[dict]) -> dict[str, dict]:
    return {**by_name(documents, "Deployment"), **by_name(documents, "StatefulSet")}


def container(workload: dict) -> dict:
    (only,) = pod_spec(workload)["containers"]
    return only


def env_of(workload: dict) -> dict[str, dict]:
    return {item["name"]: item for item in container(workload).get("env", [])}


def flags(workload: dict) -> dict[str, str]:
    """-name=value arguments as a mapping (a bare -name maps to "")."""
    return dict([*arg.lstrip("-").split("=", 1), ""][:2] for arg in container(workload)["args"])


# --- one source of truth -----------------------------------------------------------


@pytest.mark.parametrize(
    ("packaged", "source"),
    [
        (CHART / "rules", local_stack.RULES_DIR),
        (CHART / "dashboards", local_stack.DASHBOARDS_DIR),
    ],
    ids=["rules", "dashboards"],
)
def test_the_chart_packages_the_local_stack_s_files_unchanged(packaged, source):
    # Helm reads nothing outside the chart: the chart holds copies, and this keeps them
    # the local stack's (whose promtool tests prove the rules). After changing one:
    #   cp devstack/observability/rules/*.yml helm/hearth-observability/rules/
    #   cp devstack/observability/dashboards/*.json helm/hearth-observability/dashboards/
    files = {path.name: path.read_bytes() for path in packaged.iterdir()}
    expected = {path.name: path.read_bytes() for path in source.iterdir() if path.is_file()}
    assert files == expected


def test_the_config_maps_hold_every_rule_and_dashboard():
    config_maps = by_name(rendered(), "ConfigMap")
    rules = config_maps[f"{RELEASE}-vmalert-rules"]["data"]
    dashboards = config_maps[f"{VM}-dashboards"]["data"]
    assert rules == {p.name: p.read_text() for p in local_stack.RULES_DIR.glob("*.yml")}
    assert dashboards == {p.name: p.read_text() for p in local_stack.DASHBOARDS_DIR.glob("*.json")}


def test_the_images_are_the_local_stack_s_versions():
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    zipkin_version = local_stack.ZIPKIN_ARTIFACT.split(":")[2]
    vm_version = local_stack.GO_SERVERS["victoria-metrics"][2].removeprefix("v")
    assert values["zipkin"]["tag"] == zipkin_version
    assert values["victoriametrics"]["tag"] == vm_version
    for folder, tag in (("zipkin", zipkin_version), ("victoria-metrics", vm_version)):
        image_env = (ROOT / "containers" / folder / "image.env").read_text().split()
        assert f"TAG={tag}" in image_env
        assert f"NAME=hearth-{folder}" in image_env
    images = {container(w)["image"] for w in workloads(rendered(LOCAL)).values()}
    assert images == {
        f"10.250.0.1:5000/hearth/hearth-zipkin:{zipkin_version}",
        f"10.250.0.1:5000/hearth/hearth-victoria-metrics:{vm_version}",
    }


# --- the real binaries accept what the pods are given -----------------------------


def _binary(name: str) -> str:
    path = tool_path(name)
    assert path.exists(), f"{path} is missing: `make up` builds it (devstack/observability)"
    return str(path)


def app_scrape_config(*values: Path) -> str:
    """What VictoriaMetrics reads: the key it mounts of the ConfigMap it names."""
    statefulset = workloads(rendered())[VM]
    (volume,) = [v for v in pod_spec(statefulset)["volumes"] if v["name"] == "scrape"]
    (item,) = volume["configMap"]["items"]
    (mount,) = [m for m in container(statefulset)["volumeMounts"] if m["name"] == "scrape"]
    assert flags(statefulset)["promscrape.config"] == f"{mount['mountPath']}/{item['path']}"
    config_map = by_name(app_rendered(*values), "ConfigMap")[volume["configMap"]["name"]]
    return config_map["data"][item["key"]]


def dry_run_scrape_config(text: str, tmp_path: Path) -> subprocess.CompletedProcess:
    path = tmp_path / "scrape.yaml"
    path.write_text(text)
    return subprocess.run(
        [
            _binary("victoria-metrics"),
            f"-promscrape.config={path}",
            "-promscrape.config.dryRun",
            "-loggerLevel=ERROR",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=tmp_path,
    )


@pytest.mark.parametrize("app_values", [(), (APP_IN_CLUSTER, APP_VALUES)], ids=["defaults", "ours"])
def test_victoria_metrics_accepts_the_app_chart_s_scrape_job(app_values, tmp_path):
    text = app_scrape_config(*app_values)
    assert "kubernetes_sd_configs" in text
    completed = dry_run_scrape_config(text, tmp_path)
    assert completed.returncode == 0, completed.stderr


def test_the_scrape_dry_run_refuses_a_misspelt_field(tmp_path):
    # So the acceptance above means something: strict parsing is on.
    text = app_scrape_config().replace("relabel_configs:", "relabel_config:")
    completed = dry_run_scrape_config(text, tmp_path)
    assert completed.returncode != 0
    assert "relabel_config" in completed.stderr


def dry_run_rules(rules: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    for name, text in rules.items():
        (tmp_path / name).write_text(text)
    return subprocess.run(
        [_binary("vmalert"), "-dryRun", f"-rule={tmp_path}/*.yml", "-loggerLevel=ERROR"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_vmalert_accepts_the_packaged_rules(tmp_path):
    rules = by_name(rendered(), "ConfigMap")[f"{RELEASE}-vmalert-rules"]["data"]
    (vmalert,) = [w for name, w in workloads(rendered()).items() if name.endswith("-vmalert")]
    (mount,) = container(vmalert)["volumeMounts"]
    assert flags(vmalert)["rule"] == f"{mount['mountPath']}/*.yml"
    assert dry_run_rules(rules, tmp_path).returncode == 0


def test_vmalert_s_dry_run_refuses_a_broken_rule(tmp_path):
    rules = by_name(rendered(), "ConfigMap")[f"{RELEASE}-vmalert-rules"]["data"]
    broken = {name: text.replace("> 0.01", "> > 0.01") for name, text in rules.items()}
    assert broken != rules
    assert dry_run_rules(broken, tmp_path).returncode != 0


# --- who may talk to the Kubernetes API ---------------------------------------------


def test_only_victoria_metrics_gets_a_token_and_may_only_list_and_watch_pods():
    documents = rendered(LOCAL)
    assert not of_kind(documents, "ClusterRole")
    assert not of_kind(documents, "ClusterRoleBinding")
    (role,) = of_kind(documents, "Role")
    assert role["rules"] == [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list", "watch"]}]
    (binding,) = of_kind(documents, "RoleBinding")
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": VM, "namespace": NAMESPACE}]
    for account in of_kind(documents, "ServiceAccount"):
        assert account["automountServiceAccountToken"] is False
    for name, workload in workloads(documents).items():
        spec = pod_spec(workload)
        assert spec["automountServiceAccountToken"] is False
        tokens = [v["name"] for v in spec.get("volumes", []) if "projected" in v]
        mounted = {m["mountPath"] for m in container(workload)["volumeMounts"]}
        if name == VM:
            assert spec["serviceAccountName"] == VM
            assert tokens == ["api-token"]
            assert TOKEN_DIR in mounted
        else:
            assert tokens == [], name
            assert TOKEN_DIR not in mounted, name


# --- Zipkin ----------------------------------------------------------------------------


def test_zipkin_keeps_spans_in_memory_locally_with_a_small_explicit_heap():
    zipkin = workloads(rendered(LOCAL))[f"{RELEASE}-zipkin"]
    env = env_of(zipkin)
    assert env["STORAGE_TYPE"]["value"] == "mem"
    assert env["MEM_MAX_SPANS"]["value"] == "25000"
    assert env["JAVA_OPTS"]["value"] == "-Xms128m -Xmx256m"
    assert not [name for name in env if name.startswith("ES_")]
    assert zipkin["spec"]["replicas"] == 1
    served = container(zipkin)
    assert served["ports"] == [{"name": "http", "containerPort": 9411}]
    assert served["readinessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    # The heap fits in the limit with room for the JVM's own memory.
    assert served["resources"]["limits"]["memory"] == "512Mi"
    service = by_name(rendered(LOCAL), "Service")[f"{RELEASE}-zipkin"]
    assert service["spec"]["ports"] == [{"name": "http", "port": 9411, "targetPort": "http"}]


def test_zipkin_writes_to_elasticsearch_in_production():
    zipkin = workloads(rendered(PRODUCTION))[f"{RELEASE}-zipkin"]
    env = env_of(zipkin)
    assert env["STORAGE_TYPE"]["value"] == "elasticsearch"
    assert env["ES_HOSTS"]["value"] == "https://traces-search.example.com:9200"
    for key in ("ES_USERNAME", "ES_PASSWORD"):
        assert env[key]["valueFrom"]["secretKeyRef"] == {
            "name": "hearth-zipkin-elasticsearch",
            "key": key,
        }
    assert "MEM_MAX_SPANS" not in env
    assert zipkin["spec"]["replicas"] == 2
    policy = by_name(rendered(PRODUCTION), "NetworkPolicy")[f"{RELEASE}-zipkin"]
    to_elasticsearch = {"to": [{"ipBlock": {"cidr": "10.20.0.0/16"}}], "ports": [tcp(9200)]}
    assert to_elasticsearch in policy["spec"]["egress"]


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        (("zipkin.replicas=2",), "in-memory storage keeps its spans in each pod"),
        (("zipkin.storage.type=elasticsearch",), "zipkin.storage.elasticsearch.hosts"),
        (
            (
                "zipkin.storage.type=elasticsearch",
                "zipkin.storage.elasticsearch.hosts[0]=http://es:9200",
            ),
            "so the egress policy lets Zipkin reach it",
        ),
        (("vmalert.notifier.url=http://am:9093",), "so the egress policy lets alerts out"),
    ],
)
def test_the_chart_refuses_values_that_would_not_work(settings, said):
    completed = render(settings=settings)
    assert completed.returncode != 0
    assert said in completed.stderr, completed.stderr


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ("zipkin.tag=latest", "zipkin/tag"),
        ("zipkin.heap=-Xmx256m", "zipkin/heap"),
        ("zipkin.storage.type=cassandra", "zipkin/storage/type"),
        ("victoriametrics.retentionPeriod=forever", "victoriametrics/retentionPeriod"),
        ("victoriametrics.scraperPodLabels=null", "scraperPodLabels"),
        ("vmalert.notifier.url=alertmanager", "vmalert/notifier/url"),
        ("app.metricsPorts[0]=0", "app/metricsPorts/0"),
        ("networkPolicy.apiServer.cidrs[0]=everywhere", "networkPolicy/apiServer/cidrs/0"),
        ("vmalert.notifer.url=http://am:9093", "vmalert"),  # a misspelt key
    ],
)
def test_the_schema_refuses_a_bad_value_and_names_it(setting, named):
    completed = render(settings=(setting,))
    assert completed.returncode != 0, f"{setting} was accepted"
    assert "values don't meet the specifications of the schema" in completed.stderr
    assert named in completed.stderr, completed.stderr


# --- vmalert -------------------------------------------------------------------------


def test_vmalert_evaluates_against_victoria_metrics_and_notifies_only_when_told():
    vm_url = f"http://{VM}:8428"
    local = flags(workloads(rendered(LOCAL))[f"{RELEASE}-vmalert"])
    for flag in ("datasource.url", "remoteWrite.url", "remoteRead.url"):
        assert local[flag] == vm_url
    assert "notifier.blackhole" in local
    assert "notifier.url" not in local
    production = flags(workloads(rendered(PRODUCTION))[f"{RELEASE}-vmalert"])
    assert production["notifier.url"] == "http://alertmanager.monitoring.svc:9093"
    assert "notifier.blackhole" not in production


# --- the two charts together: who may reach whom ------------------------------------


def _expression_holds(expression: dict, labels: dict) -> bool:
    operator, key = expression["operator"], expression["key"]
    if operator == "Exists":
        return key in labels
    if operator == "In":
        return labels.get(key) in expression["values"]
    raise AssertionError(f"unexpected operator {operator}")


def selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items()) and all(
        _expression_holds(e, labels) for e in selector.get("matchExpressions", [])
    )


def peer_admits(peer: dict, labels: dict, namespace: str = NAMESPACE) -> bool:
    """A NetworkPolicy peer's verdict on a pod of this namespace (no ipBlock peers)."""
    if "ipBlock" in peer:
        return False
    if "namespaceSelector" in peer and not selects(
        peer["namespaceSelector"], {"kubernetes.io/metadata.name": namespace}
    ):
        return False
    return selects(peer.get("podSelector", {}), labels)


def allowed(policies: list[dict], direction: str, pod: dict, peer: dict, port: int) -> bool:
    """Whether some policy selecting `pod` lets traffic to or from `peer` on `port`."""
    rules_key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    return any(
        selects(policy["spec"]["podSelector"], pod)
        and direction in policy["spec"]["policyTypes"]
        and any(
            any(peer_admits(p, peer) for p in rule.get(peers_key, []))
            and any(entry["port"] == port for entry in rule.get("ports", []))
            for rule in policy["spec"].get(rules_key, [])
        )
        for policy in policies
    )


def pod_labels(workload: dict) -> dict:
    return workload["spec"]["template"]["metadata"]["labels"]


@cache
def together() -> tuple[list[dict], list[dict]]:
    return app_rendered(APP_IN_CLUSTER, APP_VALUES), rendered(LOCAL)


def scraped_app_pods() -> list[tuple[str, dict, int]]:
    app, _ = together()
    found = []
    for name, workload in workloads(app).items():
        annotations = workload["spec"]["template"]["metadata"].get("annotations", {})
        if annotations.get("prometheus.io/scrape") == "true":
            found.append((name, pod_labels(workload), int(annotations["prometheus.io/port"])))
    assert len(found) > 8, "fewer scraped processes than deployables"
    return found


def test_victoria_metrics_may_scrape_every_app_process_on_its_metrics_port_only():
    app, ours = together()
    policies = of_kind(app, "NetworkPolicy") + of_kind(ours, "NetworkPolicy")
    vm = pod_labels(workloads(ours)[VM])
    zipkin = pod_labels(workloads(ours)[f"{RELEASE}-zipkin"])
    for name, labels, port in scraped_app_pods():
        assert allowed(policies, "Egress", vm, labels, port), f"VictoriaMetrics -> {name}:{port}"
        assert allowed(policies, "Ingress", labels, vm, port), f"{name}:{port} <- VictoriaMetrics"
        # Nothing else of ours scrapes, and VictoriaMetrics reaches no other port.
        assert not allowed(policies, "Ingress", labels, zipkin, port), name
        assert not allowed(policies, "Egress", vm, labels, 5432), name


def test_every_app_process_may_send_its_spans_to_zipkin():
    app, ours = together()
    policies = of_kind(app, "NetworkPolicy") + of_kind(ours, "NetworkPolicy")
    zipkin = pod_labels(workloads(ours)[f"{RELEASE}-zipkin"])
    endpoint = yaml.safe_load(APP_VALUES.read_text())["observability"]["tracing"]["zipkinEndpoint"]
    service = by_name(ours, "Service")[f"{RELEASE}-zipkin"]
    assert endpoint == f"http://{service['metadata']['name']}:9411/api/v2/spans"
    assert selects({"matchLabels": service["spec"]["selector"]}, zipkin)
    senders = [w for w in workloads(app).values() if "hearth.io/deployable" in pod_labels(w)]
    for workload in senders:
        labels = pod_labels(workload)
        assert allowed(policies, "Egress", labels, zipkin, 9411), workload["metadata"]["name"]
        assert allowed(policies, "Ingress", zipkin, labels, 9411), workload["metadata"]["name"]


def test_the_servers_are_reachable_from_the_namespace_only_on_their_port():
    _, ours = together()
    policies = of_kind(ours, "NetworkPolicy")
    anyone_here = {"app.kubernetes.io/name": "some-pod"}
    for name, port in ((f"{RELEASE}-zipkin", 9411), (VM, 8428), (f"{RELEASE}-vmalert", 8880)):
        labels = pod_labels(workloads(ours)[name])
        assert allowed(policies, "Ingress", labels, anyone_here, port), name
        assert not allowed(policies, "Ingress", labels, anyone_here, port + 1), name
        for policy in policies:
            for rule in policy["spec"].get("ingress", []):
                for peer in rule["from"]:
                    assert not {"namespaceSelector", "ipBlock"} & set(peer), policy["metadata"]
    vmalert = pod_labels(workloads(ours)[f"{RELEASE}-vmalert"])
    vm = pod_labels(workloads(ours)[VM])
    assert allowed(policies, "Egress", vmalert, vm, 8428)


def test_victoria_metrics_reaches_the_api_server_only_at_its_addresses():
    _, ours = together()
    policy = by_name(ours, "NetworkPolicy")[VM]
    blocks = [rule for rule in policy["spec"]["egress"] if "ipBlock" in rule["to"][0]]
    assert blocks == [{"to": [{"ipBlock": {"cidr": "10.250.0.0/24"}}], "ports": [tcp(6443)]}]


# --- the release's optional step ---------------------------------------------------


def observed_local_renderings() -> list[Rendering]:
    """What `release.py deploy --observability` installs locally, every release of it."""
    local = deploy_target("local")
    apps = [
        Rendering(
            f"local:{cell}",
            deploy_template(
                release.app_release_name(cell), release.app_chart_arguments(local, cell, True)
            ),
        )
        for cell in cells()
    ]
    data = data_rendering("local")
    arguments = release.observability_chart_arguments(local)
    ours = Rendering("local:hearth-observability", deploy_template(RELEASE, arguments))
    return [*apps, *([data] if data else []), ours]


def test_the_release_step_is_optional_and_comes_last():
    assert release.OBSERVABILITY_APP_VALUES == APP_VALUES
    assert release.OBSERVABILITY_VALUES == {"local": LOCAL}
    local = deploy_target("local")
    plain = [step.description for step in release.plan(local)]
    observed = release.plan(local, observability=True)
    assert not [d for d in plain if RELEASE in d]
    assert RELEASE in observed[-1].description
    assert observed[-1].command[observed[-1].command.index("upgrade") + 2] == RELEASE
    app_releases = [step.command for step in observed if str(APP_CHART) in step.command]
    assert len(app_releases) == len(cells())
    assert all(str(APP_VALUES) in command for command in app_releases)
    for command in release.plan(local):
        assert str(APP_VALUES) not in command.command


def test_the_observed_local_releases_are_valid_kubernetes_and_pass_the_policies(tmp_path):
    renderings = observed_local_renderings()
    for rendering in renderings:
        assert schema_problems(rendering.documents) == [], rendering.name
    manifests = "\n---\n".join(rendering.text for rendering in renderings)
    assert policy_failures(manifests, tmp_path) == []
