"""The cluster's network: a host bridge, one network namespace per node on a veth, and
static routes between the nodes' pod networks ("host-gw": one L2 segment needs no
overlay; on real hosts a CNI such as flannel or Calico does this).

Forwarding is switched on inside the node namespaces only; the host's own settings
are left as they are.
"""

import subprocess
from pathlib import Path

from devstack.cluster.topology import BRIDGE, BRIDGE_CIDR, BRIDGE_IP, NODES, Node
from devstack.shell import run


def _exists(*command: str) -> bool:
    return subprocess.run(command, capture_output=True, check=False).returncode == 0


def _in_node(node: Node, *command: str) -> list[str]:
    return ["nsenter", f"--net=/run/netns/{node.netns}", "--", *command]


def netns_exists(node: Node) -> bool:
    return Path(f"/run/netns/{node.netns}").exists()


def ensure() -> None:
    if not _exists("ip", "link", "show", BRIDGE):
        run(["ip", "link", "add", BRIDGE, "type", "bridge"])
        run(["ip", "addr", "add", BRIDGE_CIDR, "dev", BRIDGE])
    run(["ip", "link", "set", BRIDGE, "up"])
    for node in NODES:
        if not netns_exists(node):
            run(["ip", "netns", "add", node.netns])
        if not _exists("ip", "link", "show", node.host_veth):
            run(
                [
                    *("ip", "link", "add", node.host_veth, "type", "veth"),
                    *("peer", "name", "eth0", "netns", node.netns),
                ]
            )
            run(["ip", "-n", node.netns, "addr", "add", f"{node.ip}/24", "dev", "eth0"])
        run(["ip", "link", "set", node.host_veth, "master", BRIDGE, "up"])
        run(["ip", "-n", node.netns, "link", "set", "lo", "up"])
        run(["ip", "-n", node.netns, "link", "set", "eth0", "up"])
        run(["ip", "-n", node.netns, "route", "replace", "default", "via", BRIDGE_IP])
        for other in NODES:
            if other != node:
                run(["ip", "-n", node.netns, "route", "replace", other.pod_cidr, "via", other.ip])
        # The host reaches every pod (the API server calls webhooks and aggregated APIs).
        run(["ip", "route", "replace", node.pod_cidr, "via", node.ip])
        # Routing between pods and Services, and bridged pod traffic through kube-proxy's
        # rules (both per namespace).
        run(_in_node(node, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"))
        run(_in_node(node, "sysctl", "-q", "-w", "net.bridge.bridge-nf-call-iptables=1"))


def cut(node: Node) -> None:
    """A network partition: the node's link to everyone else goes down."""
    run(["ip", "link", "set", node.host_veth, "down"])


def heal(node: Node) -> None:
    run(["ip", "link", "set", node.host_veth, "up"])


def remove() -> None:
    for node in NODES:
        if netns_exists(node):
            # Deleting the namespace deletes its veth end, and with it the host's.
            run(["ip", "netns", "delete", node.netns])
        if _exists("ip", "link", "show", node.host_veth):
            run(["ip", "link", "delete", node.host_veth])
    if _exists("ip", "link", "show", BRIDGE):
        # The routes through the bridge go with it.
        run(["ip", "link", "delete", BRIDGE])
