"""The control plane, as host processes outside the zones (as a managed control plane
is): etcd, kube-apiserver, kube-controller-manager and kube-scheduler.

The failure-detection flags are chosen for the node-kill target (requests error-free
again within 30 s of losing a node), measured in docs/resilience.md:
- kubelets renew their lease every 2 s (lease 8 s, see nodes.py), and the node
  lifecycle controller calls a node Unknown after 8 s without one
  (--node-monitor-grace-period);
- pods tolerate an unreachable or not-ready node for 2 s before they are evicted
  (--default-*-toleration-seconds, stamped on every pod at creation), so a Deployment's
  replacement is scheduled about 10 s after the node went silent. StatefulSet pods stay
  (their identity and volume are on that node) until it returns; their replicas on the
  other nodes serve meanwhile.
"""

import subprocess

from devstack.cluster import processes
from devstack.cluster.pki import component_kubeconfig
from devstack.cluster.topology import (
    API_PORT,
    BIN,
    BRIDGE_IP,
    CLUSTER_CIDR,
    ETCD_CLIENT,
    ETCD_DATA,
    ETCD_PEER,
    KUBECONFIG,
    PKI,
    SERVICE_CIDR,
)
from devstack.shell import find_program, step

NODE_MONITOR_GRACE = "8s"
EVICTION_TOLERATION_SECONDS = "2"


def etcd_command() -> list:
    return [
        find_program("etcd") or "/usr/bin/etcd",
        *("--name", "hearth", "--data-dir", ETCD_DATA),
        *("--listen-client-urls", ETCD_CLIENT, "--advertise-client-urls", ETCD_CLIENT),
        *("--listen-peer-urls", ETCD_PEER, "--initial-advertise-peer-urls", ETCD_PEER),
        *("--initial-cluster", f"hearth={ETCD_PEER}"),
        # Compact history hourly and keep the database small on a shared disk.
        *("--auto-compaction-retention", "1", "--quota-backend-bytes", str(2 * 1024**3)),
    ]


def apiserver_command() -> list:
    return [
        BIN / "kube-apiserver",
        *("--etcd-servers", ETCD_CLIENT),
        *("--bind-address", BRIDGE_IP, "--advertise-address", BRIDGE_IP),
        *("--secure-port", str(API_PORT)),
        *("--service-cluster-ip-range", SERVICE_CIDR),
        *("--client-ca-file", PKI / "ca.crt"),
        *(
            "--tls-cert-file",
            PKI / "apiserver.crt",
            "--tls-private-key-file",
            PKI / "apiserver.key",
        ),
        *("--kubelet-client-certificate", PKI / "apiserver-kubelet-client.crt"),
        *("--kubelet-client-key", PKI / "apiserver-kubelet-client.key"),
        *("--kubelet-certificate-authority", PKI / "ca.crt"),
        "--kubelet-preferred-address-types=InternalIP",
        *("--service-account-issuer", "https://kubernetes.default.svc.cluster.local"),
        *("--service-account-key-file", PKI / "sa.pub"),
        *("--service-account-signing-key-file", PKI / "sa.key"),
        "--authorization-mode=Node,RBAC",
        "--enable-admission-plugins=NodeRestriction",
        f"--default-not-ready-toleration-seconds={EVICTION_TOLERATION_SECONDS}",
        f"--default-unreachable-toleration-seconds={EVICTION_TOLERATION_SECONDS}",
        # The aggregation layer (metrics-server), reached at its endpoints: the host,
        # which runs no kube-proxy, routes to pods but not to Service IPs.
        *("--requestheader-client-ca-file", PKI / "front-proxy-ca.crt"),
        "--requestheader-allowed-names=front-proxy-client",
        "--requestheader-username-headers=X-Remote-User",
        "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        *("--proxy-client-cert-file", PKI / "front-proxy-client.crt"),
        *("--proxy-client-key-file", PKI / "front-proxy-client.key"),
        "--enable-aggregator-routing=true",
        "--allow-privileged=false",
        "--profiling=false",
    ]


def controller_manager_command() -> list:
    return [
        BIN / "kube-controller-manager",
        *("--kubeconfig", component_kubeconfig("kube-controller-manager")),
        *("--authentication-kubeconfig", component_kubeconfig("kube-controller-manager")),
        *("--authorization-kubeconfig", component_kubeconfig("kube-controller-manager")),
        "--bind-address=127.0.0.1",
        "--leader-elect=false",
        "--use-service-account-credentials=true",
        *("--service-account-private-key-file", PKI / "sa.key"),
        *("--root-ca-file", PKI / "ca.crt"),
        *("--cluster-signing-cert-file", PKI / "ca.crt"),
        *("--cluster-signing-key-file", PKI / "ca.key"),
        # Pod networks are fixed per node (nodes.py), not allocated.
        *("--cluster-cidr", CLUSTER_CIDR, "--allocate-node-cidrs=false"),
        *("--service-cluster-ip-range", SERVICE_CIDR),
        f"--node-monitor-grace-period={NODE_MONITOR_GRACE}",
        "--node-monitor-period=2s",
        "--terminated-pod-gc-threshold=100",
        "--profiling=false",
    ]


def scheduler_command() -> list:
    return [
        BIN / "kube-scheduler",
        *("--kubeconfig", component_kubeconfig("kube-scheduler")),
        *("--authentication-kubeconfig", component_kubeconfig("kube-scheduler")),
        *("--authorization-kubeconfig", component_kubeconfig("kube-scheduler")),
        "--bind-address=127.0.0.1",
        "--leader-elect=false",
        "--profiling=false",
    ]


def kubectl(*arguments: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "kubectl"), "--kubeconfig", str(KUBECONFIG), *arguments],
        capture_output=True,
        text=True,
        check=False,
        **kwargs,
    )


def api_ready() -> bool:
    return kubectl("--request-timeout=3s", "get", "--raw", "/readyz").returncode == 0


def start() -> None:
    step("control plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler")
    ETCD_DATA.mkdir(parents=True, exist_ok=True)
    ETCD_DATA.chmod(0o700)
    processes.start("etcd", etcd_command())
    processes.start("kube-apiserver", apiserver_command())
    processes.wait_for("the API server's /readyz", api_ready, timeout=180)
    processes.start("kube-controller-manager", controller_manager_command())
    processes.start("kube-scheduler", scheduler_command())


def stop() -> None:
    for name in ("kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd"):
        processes.stop(name)
