"""What a bare cluster lacks and a cloud would provide, and the cluster's own add-ons.

On the host, beside the cluster (as a cloud runs them outside it):
- the image registry, on the host bridge (plain http, reachable by the nodes only);
- the SMTP provider: the local sink, so mail survives any node's loss and the tests
  read it from var/cluster/mail;
- the payment provider: stripe-mock (the local stack's binary), which payments' web
  pods reach as production's reach Stripe (k8s-overlays/local/values.yaml);
- the load balancer in front of the Ingress controller's NodePorts (HAProxy): health-
  checked every second, a dead node's connections retried on another, so a client on
  loopback sees one address whichever node is down.

In the cluster: CoreDNS (three replicas, one per zone), metrics-server (for the HPA),
and local persistent volumes (a StorageClass whose volumes are directories on each
node: a StatefulSet's pod stays with its data, and the store's replicas on the other
nodes serve while a node is away).
"""

import json
import subprocess

from devstack import release, tools
from devstack.cluster import build, pki, processes
from devstack.cluster.control_plane import kubectl
from devstack.cluster.topology import (
    BIN,
    BRIDGE_IP,
    CLUSTER_DIR,
    CLUSTER_DOMAIN,
    DNS_SERVICE_IP,
    INGRESS_PORTS,
    MAIL_DIR,
    NODES,
    PKI,
    REGISTRY,
    REGISTRY_PORT,
    SMTP_PORT,
    STRIPE_MOCK_PORT,
)
from devstack.layout import ROOT, VENV_PYTHON
from devstack.programs import accepts_connections
from devstack.shell import fail, find_program, say, step

REGISTRY_DIR = CLUSTER_DIR / "registry"
VOLUMES_PER_NODE = 8
VOLUME_SIZE = "20Gi"
STORAGE_CLASS = "local-path"


# The add-ons' images, as build.py tags them (pause is imported on each node instead),
# and where the nodes pull them.
ADDON_IMAGES = [reference for reference in build.IMAGES if reference != build.PAUSE_IMAGE]
COREDNS_IMAGE, METRICS_SERVER_IMAGE = (
    release.pushed_reference(
        next(r for r in ADDON_IMAGES if f"/{name}:" in r), release.LOCAL_REGISTRY
    )
    for name in ("coredns", "metrics-server")
)


def stripe_mock_command() -> list:
    """stripe-mock on the bridge alone: both its listeners named, since without an
    HTTPS address it opens one on every address, where the local stack's may be."""
    return [
        tools.tool_path("stripe-mock"),
        *("-http-addr", f"{BRIDGE_IP}:{STRIPE_MOCK_PORT}"),
        *("-https-addr", f"{BRIDGE_IP}:{STRIPE_MOCK_PORT + 1}"),
    ]


def start_host_services() -> None:
    step("host services: registry, SMTP and payment providers, load balancer")
    REGISTRY_DIR.mkdir(parents=True, exist_ok=True)
    registry_config = CLUSTER_DIR / "registry.yml"
    registry_config.write_text(
        "version: 0.1\n"
        "log: {level: warn}\n"
        f"storage: {{filesystem: {{rootdirectory: {REGISTRY_DIR}}}, delete: {{enabled: true}}}}\n"
        f"http: {{addr: '{REGISTRY}'}}\n"
    )
    processes.start("registry", [BIN / "registry", "serve", registry_config])
    MAIL_DIR.mkdir(parents=True, exist_ok=True)
    processes.start(
        "smtp-sink",
        [
            VENV_PYTHON,
            ROOT / "devstack" / "smtp_sink.py",
            *("--host", BRIDGE_IP, "--port", str(SMTP_PORT), "--maildir", MAIL_DIR),
        ],
    )
    if not tools.tool_path("stripe-mock").exists():
        # `make cluster` installs it first (`make up` does too); built once, in minutes.
        tools.install(tools.STACK_TOOLS, "Stack servers built with Go (stripe-mock)")
    processes.start("stripe-mock", stripe_mock_command())
    haproxy_config = CLUSTER_DIR / "haproxy.cfg"
    haproxy_config.write_text(load_balancer_config())
    processes.start(
        "load-balancer",
        [find_program("haproxy") or "/usr/sbin/haproxy", "-db", "-f", haproxy_config],
    )
    for what, host, port in (
        ("the registry", BRIDGE_IP, REGISTRY_PORT),
        ("the SMTP sink", BRIDGE_IP, SMTP_PORT),
        ("stripe-mock", BRIDGE_IP, STRIPE_MOCK_PORT),
        ("the load balancer", "127.0.0.1", INGRESS_PORTS["https"]),
    ):
        processes.wait_for(what, lambda p=port, h=host: accepts_connections(p, h), timeout=30)


def stop_host_services() -> None:
    for name in ("load-balancer", "stripe-mock", "smtp-sink", "registry"):
        processes.stop(name, timeout=10)


def load_balancer_config() -> str:
    sections = [
        # Two descriptors a connection, within the machine's cap of 20000 open files.
        "global\n  maxconn 8000\n",
        # A connection to a dead node fails within 1 s and is retried on another node
        # (redispatch); a node failing two 1-s checks in a row gets no new connections.
        "defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 120s\n"
        "  timeout server 120s\n  retries 2\n  option redispatch 1\n",
    ]
    for name, port in INGRESS_PORTS.items():
        servers = "".join(
            f"  server {node.name} {node.ip}:{port} check inter 1s fall 2 rise 1\n"
            for node in NODES
        )
        sections.append(
            f"frontend {name}\n  bind 127.0.0.1:{port}\n  default_backend {name}-nodes\n"
        )
        sections.append(
            f"backend {name}-nodes\n  balance roundrobin\n"
            f"  default-server on-marked-down shutdown-sessions\n{servers}"
        )
    return "\n".join(sections)


def push_addon_images() -> None:
    release.execute(
        release.push_reference_steps(ADDON_IMAGES, release.LOCAL_REGISTRY, tls_verify=False)
    )


def apply(objects: list[dict]) -> None:
    completed = kubectl(
        "apply",
        "--server-side",
        "--force-conflicts",
        "--field-manager=hearth-cluster",
        "-f",
        "-",
        input=json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}),
    )
    if completed.returncode != 0:
        raise fail(f"kubectl apply failed: {completed.stderr.strip()}")
    say(f"applied {len(objects)} objects")


def local_volumes() -> list[dict]:
    objects: list[dict] = [
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": STORAGE_CLASS},
            "provisioner": "kubernetes.io/no-provisioner",
            # Bound where the pod is scheduled: the scheduler places the pod first
            # (zone spread), then takes a volume on that node.
            "volumeBindingMode": "WaitForFirstConsumer",
            "reclaimPolicy": "Retain",
        }
    ]
    for node in NODES:
        for number in range(1, VOLUMES_PER_NODE + 1):
            path = node.directory / "volumes" / f"pv-{number}"
            if not path.exists():
                # Open to the store's non-root user until the kubelet hands it to the
                # pod's fsGroup; never reset afterwards, or the next mount re-owns the
                # whole tree (fsGroupChangePolicy OnRootMismatch) and PostgreSQL's data
                # directory ends up group-accessible, which it refuses.
                path.mkdir(parents=True)
                path.chmod(0o777)
            objects.append(
                {
                    "apiVersion": "v1",
                    "kind": "PersistentVolume",
                    "metadata": {
                        "name": f"{node.name}-pv-{number}",
                        "labels": {"hearth.io/node": node.name},
                    },
                    "spec": {
                        "capacity": {"storage": VOLUME_SIZE},
                        "accessModes": ["ReadWriteOnce"],
                        "persistentVolumeReclaimPolicy": "Retain",
                        "storageClassName": STORAGE_CLASS,
                        "local": {"path": str(path)},
                        "nodeAffinity": {
                            "required": {
                                "nodeSelectorTerms": [
                                    {
                                        "matchExpressions": [
                                            {
                                                "key": "kubernetes.io/hostname",
                                                "operator": "In",
                                                "values": [node.name],
                                            }
                                        ]
                                    }
                                ]
                            }
                        },
                    },
                }
            )
    return objects


def _spread(labels: dict) -> dict:
    """One replica per zone, and never two on one node."""
    return {
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchLabels": labels},
            }
        ],
    }


def _restricted_container() -> dict:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def coredns() -> list[dict]:
    labels = {"k8s-app": "kube-dns"}
    corefile = (
        ".:53 {\n    errors\n    health :8080\n    ready :8181\n"
        f"    kubernetes {CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {{\n"
        "        pods insecure\n        fallthrough in-addr.arpa ip6.arpa\n        ttl 30\n    }\n"
        # No upstream resolver reaches this machine: only cluster names resolve.
        "    cache 30\n    loop\n    reload\n    loadbalance\n}\n"
    )
    meta = {"name": "coredns", "namespace": "kube-system", "labels": labels}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "system:coredns"},
            "rules": [
                {
                    "apiGroups": [""],
                    "resources": ["endpoints", "services", "pods", "namespaces"],
                    "verbs": ["list", "watch"],
                },
                {
                    "apiGroups": ["discovery.k8s.io"],
                    "resources": ["endpointslices"],
                    "verbs": ["list", "watch"],
                },
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "system:coredns"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "system:coredns",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "coredns", "namespace": "kube-system"}],
        },
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"Corefile": corefile}},
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": meta,
            "spec": {
                "replicas": len(NODES),
                "selector": {"matchLabels": labels},
                "strategy": {"rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "serviceAccountName": "coredns",
                        "priorityClassName": "system-cluster-critical",
                        "dnsPolicy": "Default",
                        **_spread(labels),
                        "securityContext": {"runAsUser": 65532, "runAsGroup": 65532},
                        "containers": [
                            {
                                "name": "coredns",
                                "image": COREDNS_IMAGE,
                                "args": ["-conf", "/etc/coredns/Corefile", "-dns.port", "53"],
                                "ports": [
                                    {"name": "dns", "containerPort": 53, "protocol": "UDP"},
                                    {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
                                ],
                                "resources": {
                                    "requests": {"cpu": "20m", "memory": "32Mi"},
                                    "limits": {"memory": "128Mi"},
                                },
                                "securityContext": {
                                    **_restricted_container(),
                                    "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
                                },
                                "livenessProbe": {
                                    "httpGet": {"path": "/health", "port": 8080},
                                    "periodSeconds": 5,
                                },
                                "readinessProbe": {
                                    "httpGet": {"path": "/ready", "port": 8181},
                                    "periodSeconds": 2,
                                },
                                "volumeMounts": [{"name": "config", "mountPath": "/etc/coredns"}],
                            }
                        ],
                        "volumes": [{"name": "config", "configMap": {"name": "coredns"}}],
                    },
                },
            },
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": meta,
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": labels}},
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "kube-dns", "namespace": "kube-system", "labels": labels},
            "spec": {
                "clusterIP": DNS_SERVICE_IP,
                "selector": labels,
                "ports": [
                    {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                    {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                ],
            },
        },
    ]


def metrics_server() -> list[dict]:
    labels = {"k8s-app": "metrics-server"}
    meta = {"name": "metrics-server", "namespace": "kube-system", "labels": labels}
    pki.issue(
        "metrics-server",
        "metrics-server",
        names=["metrics-server.kube-system.svc", "metrics-server"],
        server=True,
    )
    ca_bundle = subprocess.run(
        ["base64", "-w0", str(PKI / "ca.crt")], capture_output=True, text=True, check=True
    ).stdout
    role_ref = {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole"}
    subject = [{"kind": "ServiceAccount", "name": "metrics-server", "namespace": "kube-system"}]
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta},
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {**meta, "name": "metrics-server-tls"},
            "type": "kubernetes.io/tls",
            "stringData": {
                "tls.crt": (PKI / "metrics-server.crt").read_text(),
                "tls.key": (PKI / "metrics-server.key").read_text(),
                "ca.crt": (PKI / "ca.crt").read_text(),
            },
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "system:metrics-server"},
            "rules": [
                {"apiGroups": [""], "resources": ["nodes/metrics"], "verbs": ["get"]},
                {
                    "apiGroups": [""],
                    "resources": ["pods", "nodes"],
                    "verbs": ["get", "list", "watch"],
                },
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "system:metrics-server"},
            "roleRef": {**role_ref, "name": "system:metrics-server"},
            "subjects": subject,
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "metrics-server:system:auth-delegator"},
            "roleRef": {**role_ref, "name": "system:auth-delegator"},
            "subjects": subject,
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "metrics-server-auth-reader", "namespace": "kube-system"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "extension-apiserver-authentication-reader",
            },
            "subjects": subject,
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": meta,
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "serviceAccountName": "metrics-server",
                        "priorityClassName": "system-cluster-critical",
                        "securityContext": {"runAsUser": 65532, "runAsGroup": 65532},
                        "containers": [
                            {
                                "name": "metrics-server",
                                "image": METRICS_SERVER_IMAGE,
                                "args": [
                                    "--secure-port=10250",
                                    "--tls-cert-file=/tls/tls.crt",
                                    "--tls-private-key-file=/tls/tls.key",
                                    "--kubelet-certificate-authority=/tls/ca.crt",
                                    "--kubelet-preferred-address-types=InternalIP",
                                    "--kubelet-use-node-status-port",
                                    "--metric-resolution=15s",
                                ],
                                "ports": [{"name": "https", "containerPort": 10250}],
                                "resources": {
                                    "requests": {"cpu": "20m", "memory": "48Mi"},
                                    "limits": {"memory": "192Mi"},
                                },
                                "securityContext": _restricted_container(),
                                "readinessProbe": {
                                    "httpGet": {
                                        "path": "/readyz",
                                        "port": "https",
                                        "scheme": "HTTPS",
                                    },
                                    "periodSeconds": 5,
                                },
                                "volumeMounts": [{"name": "tls", "mountPath": "/tls"}],
                            }
                        ],
                        "volumes": [
                            {"name": "tls", "secret": {"secretName": "metrics-server-tls"}}
                        ],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta,
            "spec": {
                "selector": labels,
                "ports": [{"name": "https", "port": 443, "targetPort": "https"}],
            },
        },
        {
            "apiVersion": "apiregistration.k8s.io/v1",
            "kind": "APIService",
            "metadata": {"name": "v1beta1.metrics.k8s.io", "labels": labels},
            "spec": {
                "service": {"name": "metrics-server", "namespace": "kube-system"},
                "group": "metrics.k8s.io",
                "version": "v1beta1",
                "caBundle": ca_bundle,
                "groupPriorityMinimum": 100,
                "versionPriority": 100,
            },
        },
    ]


def install() -> None:
    step("add-ons: local volumes, CoreDNS, metrics-server")
    apply(local_volumes() + coredns() + metrics_server())
