"""The worker nodes: per node its own containerd, kubelet and kube-proxy in its network
namespace, with its own state directories, cgroups and pod network.

A node's daemons run in its "system" cgroup (so every containerd shim, too) and its
pods below its kubelet's cgroupRoot: killing a node is killing every PID of both,
exactly what losing the machine does to the processes on it.
"""

import json
import subprocess
import urllib.request

from devstack.cluster import processes
from devstack.cluster.build import PAUSE_ARCHIVE, PAUSE_IMAGE
from devstack.cluster.pki import component_kubeconfig, node_kubeconfig
from devstack.cluster.topology import (
    BIN,
    CLUSTER_CIDR,
    CLUSTER_DOMAIN,
    DNS_SERVICE_IP,
    PKI,
    REGISTRY,
    RUN_STATE,
    Node,
)
from devstack.shell import find_program, run, say

# The lease is renewed every quarter of its duration: every 2 s with 8 s, so the
# controller's 8 s grace (control_plane.py) sees a silent node after 8 s, not 40.
NODE_LEASE_SECONDS = 8
STATUS_UPDATE_FREQUENCY = "4s"


def containerd_config(node: Node) -> str:
    root = node.directory / "containerd"
    state = RUN_STATE / node.name
    return f"""version = 2
root = "{root}"
state = "{state / "containerd"}"
# The process lacks CAP_SYS_RESOURCE: containers may not be given a lower OOM score.
oom_score = 0

[grpc]
  address = "{node.containerd_socket}"

[ttrpc]
  address = "{state / "containerd.sock.ttrpc"}"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "{root / "opt"}"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{PAUSE_IMAGE}"
  restrict_oom_score_adj = true
  enable_unprivileged_ports = true
  # Pod network namespaces under this node's state, not the host-wide /run/netns.
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "{find_program("runc") or "/usr/sbin/runc"}"
        Root = "{state / "runc"}"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "{node.directory / "cni" / "net.d"}"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "{node.directory / "certs.d"}"
"""


def registry_hosts() -> str:
    """The local registry speaks plain http on the host bridge only."""
    return f"""server = "http://{REGISTRY}"

[host."http://{REGISTRY}"]
  capabilities = ["pull", "resolve"]
"""


def cni_config(node: Node) -> str:
    return json.dumps(
        {
            "cniVersion": "0.4.0",
            "name": "hearth",
            "plugins": [
                {
                    "type": "bridge",
                    "bridge": "cni0",
                    "isGateway": True,
                    # No NAT: pod addresses are routed (network.py), so peers see them.
                    "ipMasq": False,
                    # A pod reaching itself through its own Service.
                    "hairpinMode": True,
                    "ipam": {
                        "type": "host-local",
                        "ranges": [[{"subnet": node.pod_cidr}]],
                        "routes": [{"dst": "0.0.0.0/0"}],
                        # Per node: the plugin's default directory is host-wide.
                        "dataDir": str(node.directory / "cni" / "ipam"),
                    },
                },
                {"type": "portmap", "capabilities": {"portMappings": True}},
            ],
        },
        indent=2,
    )


def kubelet_config(node: Node) -> str:
    return json.dumps(
        {
            "apiVersion": "kubelet.config.k8s.io/v1beta1",
            "kind": "KubeletConfiguration",
            "address": node.ip,
            "port": 10250,
            "readOnlyPort": 0,
            "healthzBindAddress": node.ip,
            "authentication": {
                "anonymous": {"enabled": False},
                "webhook": {"enabled": True},
                "x509": {"clientCAFile": str(PKI / "ca.crt")},
            },
            "authorization": {"mode": "Webhook"},
            "tlsCertFile": str(PKI / f"kubelet-{node.name}-serving.crt"),
            "tlsPrivateKeyFile": str(PKI / f"kubelet-{node.name}-serving.key"),
            "cgroupDriver": "cgroupfs",
            "cgroupRoot": node.pods_cgroup,
            # The host runs cgroup v1, which 1.34 still supports when told to.
            "failCgroupV1": False,
            # Leave the shared host's kernel settings alone (the patched check warns).
            "protectKernelDefaults": True,
            "clusterDNS": [DNS_SERVICE_IP],
            "clusterDomain": CLUSTER_DOMAIN,
            "containerRuntimeEndpoint": f"unix://{node.containerd_socket}",
            "podLogsDir": str(node.directory / "pod-logs"),
            "nodeLeaseDurationSeconds": NODE_LEASE_SECONDS,
            "nodeStatusUpdateFrequency": STATUS_UPDATE_FREQUENCY,
            "nodeStatusReportFrequency": "1m",
            "serializeImagePulls": False,
            # Every kubelet sees the whole host's memory and disk: evict only when the
            # host itself is short, never because three kubelets count the same disk.
            "evictionHard": {"memory.available": "500Mi", "nodefs.available": "3%"},
            "imageGCHighThresholdPercent": 95,
            "imageGCLowThresholdPercent": 90,
            "maxPods": 60,
            "failSwapOn": False,
        },
        indent=2,
    )


def kube_proxy_config(node: Node) -> str:
    return json.dumps(
        {
            "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
            "kind": "KubeProxyConfiguration",
            "clientConnection": {"kubeconfig": str(component_kubeconfig("kube-proxy"))},
            "mode": "iptables",
            "hostnameOverride": node.name,
            "bindAddress": node.ip,
            "healthzBindAddress": f"{node.ip}:10256",
            "metricsBindAddress": f"{node.ip}:10249",
            "clusterCIDR": CLUSTER_CIDR,
            # 0: leave the host-wide conntrack table size alone.
            "conntrack": {"maxPerCore": 0, "min": 0},
            "nodePortAddresses": [f"{node.ip}/32"],
        },
        indent=2,
    )


def _write_if_changed(path, content: str) -> None:
    """kube-proxy exits whenever its config file is rewritten, even unchanged."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != content:
        path.write_text(content)


def prepare(node: Node) -> None:
    for directory in ("containerd", "kubelet", "pod-logs", "cni/net.d", "cni/ipam", "volumes"):
        (node.directory / directory).mkdir(parents=True, exist_ok=True)
    (RUN_STATE / node.name).mkdir(parents=True, exist_ok=True)
    _write_if_changed(node.directory / "containerd.toml", containerd_config(node))
    _write_if_changed(node.directory / "certs.d" / REGISTRY / "hosts.toml", registry_hosts())
    _write_if_changed(node.directory / "cni" / "net.d" / "10-hearth.conflist", cni_config(node))
    _write_if_changed(node.directory / "kubelet.json", kubelet_config(node))
    _write_if_changed(node.directory / "kube-proxy.json", kube_proxy_config(node))
    processes.make_cgroup(node.pods_cgroup)


def ctr_command(node: Node, *arguments) -> list:
    """containerd's own client, on this node's socket, in the namespace the CRI uses."""
    return ["ctr", "--address", node.containerd_socket, "--namespace", "k8s.io", *arguments]


def ctr(node: Node, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(part) for part in ctr_command(node, *arguments)],
        capture_output=True,
        text=True,
        check=False,
    )


def start(node: Node) -> None:
    """Start (or restart after a kill) the node's daemons; idempotent."""
    prepare(node)
    system = node.system_cgroup
    processes.start(
        f"{node.name}-containerd",
        [
            find_program("containerd") or "/usr/bin/containerd",
            "--config",
            node.directory / "containerd.toml",
        ],
        netns=node.netns,
        cgroup=system,
    )
    processes.wait_for(
        f"{node.name}'s containerd", lambda: ctr(node, "version").returncode == 0, timeout=60
    )
    if PAUSE_IMAGE not in ctr(node, "images", "list", "--quiet").stdout.split():
        run(ctr_command(node, "images", "import", PAUSE_ARCHIVE), quiet=True)

    # containerd answers `ctr version` before its CRI server has recovered its state,
    # and a kubelet started then exits at once ("server is not initialized yet"),
    # leaving the node NotReady for good: start it again until its health answers.
    def kubelet_healthy() -> bool:
        if not processes.running_pid(f"{node.name}-kubelet"):
            _start_kubelet(node)
            return False
        return _answers(f"http://{node.ip}:10248/healthz")

    _start_kubelet(node)
    processes.wait_for(f"{node.name}'s kubelet", kubelet_healthy, timeout=120)
    processes.start(
        f"{node.name}-kube-proxy",
        [BIN / "kube-proxy", "--config", node.directory / "kube-proxy.json"],
        netns=node.netns,
        cgroup=system,
    )


def _start_kubelet(node: Node) -> None:
    processes.start(
        f"{node.name}-kubelet",
        [
            BIN / "kubelet",
            *("--config", node.directory / "kubelet.json"),
            *("--kubeconfig", node_kubeconfig(node)),
            *("--hostname-override", node.name, "--node-ip", node.ip),
            *("--root-dir", node.directory / "kubelet"),
            f"--node-labels=topology.kubernetes.io/zone={node.zone},hearth.io/node={node.name}",
        ],
        netns=node.netns,
        cgroup=node.system_cgroup,
    )


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def kill(node: Node) -> int:
    """Lose the node: SIGKILL its daemons, every shim and every container, at once."""
    killed = processes.kill_cgroup(node.system_cgroup)
    killed += processes.kill_cgroup(node.pods_cgroup)
    for daemon in ("containerd", "kubelet", "kube-proxy"):
        processes.forget(f"{node.name}-{daemon}")
    say(f"{node.name}: killed {killed} processes")
    return killed


def stop(node: Node) -> None:
    """Shut the node down for good (cluster-down): its pods die with it."""
    for daemon in ("kube-proxy", "kubelet"):
        processes.stop(f"{node.name}-{daemon}", timeout=15)
    kill(node)
