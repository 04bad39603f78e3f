"""The local cluster's fixed shape: where its state lives, its addresses and its nodes.

One host bridge carries a /24; each node is a network namespace with one veth on it.
The control plane runs on the host (as a managed control plane would, outside the
zones); the workers are the three nodes, one per zone. Pod networks are routed between
nodes on the bridge ("host-gw"), so no overlay is needed on one L2 segment.
"""

from dataclasses import dataclass
from pathlib import Path

from devstack.layout import VAR

CLUSTER_DIR = VAR / "cluster"
BIN = CLUSTER_DIR / "bin"
PKI = CLUSTER_DIR / "pki"
LOGS = CLUSTER_DIR / "log"
PIDS = CLUSTER_DIR / "run"
NODES_DIR = CLUSTER_DIR / "nodes"
ETCD_DATA = CLUSTER_DIR / "etcd"
KUBECONFIG = CLUSTER_DIR / "kubeconfig"
# The Ingress's self-signed certificate (devstack/release.py makes it).
TLS_DIR = CLUSTER_DIR / "tls"
MANIFESTS = Path(__file__).resolve().parent / "manifests"
# Runtime state that must not outlive a reboot (sockets, runc state): /run is tmpfs.
RUN_STATE = Path("/run/hearth-cluster")

BRIDGE = "hearth0"
BRIDGE_IP = "10.250.0.1"
BRIDGE_CIDR = f"{BRIDGE_IP}/24"
API_PORT = 6443
API_SERVER = f"https://{BRIDGE_IP}:{API_PORT}"
ETCD_CLIENT = "http://127.0.0.1:2379"
ETCD_PEER = "http://127.0.0.1:2380"
SERVICE_CIDR = "10.96.0.0/16"
API_SERVICE_IP = "10.96.0.1"
DNS_SERVICE_IP = "10.96.0.10"
CLUSTER_CIDR = "10.244.0.0/16"
CLUSTER_DOMAIN = "cluster.local"
REGISTRY_PORT = 5000
REGISTRY = f"{BRIDGE_IP}:{REGISTRY_PORT}"
# The cluster's "external" SMTP provider: the local sink, on the host bridge.
SMTP_PORT = 2525
MAIL_DIR = CLUSTER_DIR / "mail"
# And its payment provider: stripe-mock on the bridge (HTTPS on the next port), on ports
# of its own beside the local stack's loopback one (devstack/layout.py STRIPE_MOCK_PORT).
STRIPE_MOCK_PORT = 12121
# The Ingress controller's NodePorts, and the loopback ports the host's load balancer
# (HAProxy, in front of all three nodes, as a cloud load balancer would be) listens on.
INGRESS_PORTS = {"http": 30080, "https": 30443}
INGRESS_HOST = "hearth.local"
INGRESS_URL = f"https://{INGRESS_HOST}:{INGRESS_PORTS['https']}"
# Every v1 hierarchy a kubelet with the cgroupfs driver writes to.
CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_PARENT = "hearth-cluster"


@dataclass(frozen=True)
class Node:
    name: str
    zone: str
    index: int

    @property
    def ip(self) -> str:
        return f"10.250.0.{10 + self.index}"

    @property
    def pod_cidr(self) -> str:
        return f"10.244.{self.index}.0/24"

    @property
    def netns(self) -> str:
        return f"hearth-{self.name}"

    @property
    def host_veth(self) -> str:
        # Interface names are at most 15 characters.
        return f"hv-{self.name}"

    @property
    def directory(self) -> Path:
        return NODES_DIR / self.name

    @property
    def containerd_socket(self) -> Path:
        return RUN_STATE / self.name / "containerd.sock"

    @property
    def pods_cgroup(self) -> str:
        """The kubelet's cgroupRoot: every pod of the node lives below it."""
        return f"/{CGROUP_PARENT}/{self.name}"

    @property
    def system_cgroup(self) -> str:
        """containerd (and so every shim), kubelet and kube-proxy of the node."""
        return f"/{CGROUP_PARENT}/{self.name}-system"


NODES = (Node("node-a", "zone-a", 1), Node("node-b", "zone-b", 2), Node("node-c", "zone-c", 3))


def node_named(name: str) -> Node:
    for node in NODES:
        if node.name == name:
            return node
    raise SystemExit(f"no node {name!r}; the nodes are {', '.join(n.name for n in NODES)}")
