"""The local three-zone Kubernetes cluster: `make cluster`, `make cluster-down`, and the
node controls `make chaos` uses.

    python3 devstack/cluster up [--no-release]   build what is missing, start, release Hearth
    python3 devstack/cluster down [--purge]      stop everything; --purge forgets its state
    python3 devstack/cluster status
    python3 devstack/cluster node kill|start|cut|heal NODE
    python3 devstack/cluster url                 the Ingress URL, on loopback
    python3 devstack/cluster kubectl ARGS...     kubectl with the cluster's kubeconfig

Everything runs from var/cluster (state, logs, PID files); var/cluster/bin and
var/cluster/images are build caches that `down --purge` keeps.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from devstack.cluster import addons, build, control_plane, network, nodes, pki, processes  # noqa: E402
from devstack.cluster.topology import (  # noqa: E402
    BIN,
    CGROUP_PARENT,
    CLUSTER_DIR,
    INGRESS_HOST,
    INGRESS_PORTS,
    INGRESS_URL,
    KUBECONFIG,
    NODES,
    NODES_DIR,
    RUN_STATE,
    node_named,
)
from devstack.shell import fail, run, say, step  # noqa: E402

HOST_PROCESSES = (
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "registry",
    "smtp-sink",
    "stripe-mock",
    "load-balancer",
)
# What `down --purge` keeps: the build caches.
CACHES = ("bin", "images", "go")


def nodes_ready() -> list[str]:
    listed = control_plane.kubectl("get", "nodes", "-o", "json")
    if listed.returncode != 0:
        return []
    ready = []
    for item in json.loads(listed.stdout)["items"]:
        conditions = {c["type"]: c["status"] for c in item["status"].get("conditions", [])}
        if conditions.get("Ready") == "True":
            ready.append(item["metadata"]["name"])
    return ready


def wait_rollout(namespace: str, kind_name: str, timeout: str = "300s") -> None:
    completed = control_plane.kubectl(
        "-n", namespace, "rollout", "status", kind_name, f"--timeout={timeout}"
    )
    if completed.returncode != 0:
        raise fail(f"{kind_name} in {namespace} did not become ready: {completed.stderr.strip()}")


def cmd_up(options: argparse.Namespace) -> None:
    started = time.monotonic()
    build.build_all()
    step("network: host bridge, a namespace per node, routes")
    network.ensure()
    step("certificates and kubeconfigs")
    pki.ensure()
    control_plane.start()
    step("nodes: containerd, kubelet and kube-proxy in each zone")
    for node in NODES:
        nodes.start(node)
    processes.wait_for(
        "three Ready nodes", lambda: len(nodes_ready()) == len(NODES), timeout=180, interval=2
    )
    say(f"Ready: {', '.join(nodes_ready())}")
    addons.start_host_services()
    addons.push_addon_images()
    addons.install()
    wait_rollout("kube-system", "deployment/coredns")
    wait_rollout("kube-system", "deployment/metrics-server")
    if not options.no_release:
        step("release Hearth: images, data tier, regional release, zone cells")
        run([sys.executable, ROOT / "devstack" / "release.py", "deploy", "--target", "local"])
    minutes, seconds = divmod(int(time.monotonic() - started), 60)
    step(f"cluster up in {minutes} min {seconds} s; Ingress: {INGRESS_URL}")
    say(
        f"(loopback: map {INGRESS_HOST} to 127.0.0.1, e.g. curl --resolve "
        f"{INGRESS_HOST}:{INGRESS_PORTS['https']}:127.0.0.1 --cacert var/cluster/tls/tls.crt)"
    )
    say(f"kubectl: {BIN / 'kubectl'} --kubeconfig {KUBECONFIG}")


def our_mounts() -> list[str]:
    """Mount points under the nodes' state (kubelet volumes, container root file
    systems, pod network namespaces), deepest first."""
    roots = (str(NODES_DIR.resolve()), str(RUN_STATE))
    mounts = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        mount_point = line.split()[4].replace("\\040", " ")
        if mount_point.startswith(roots):
            mounts.append(mount_point)
    return sorted(set(mounts), key=lambda m: -m.count("/"))


def cmd_down(options: argparse.Namespace) -> None:
    step("nodes")
    for node in NODES:
        nodes.stop(node)
    step("control plane")
    control_plane.stop()
    step("host services")
    addons.stop_host_services()
    step("mounts, cgroups, network")
    for mount_point in our_mounts():
        if (
            subprocess.run(["umount", mount_point], capture_output=True, check=False).returncode
            != 0
        ):
            run(["umount", "--lazy", mount_point])
    # Every node's cgroups are below it.
    processes.remove_cgroup(CGROUP_PARENT)
    network.remove()
    shutil.rmtree(RUN_STATE, ignore_errors=True)
    if options.purge:
        for entry in CLUSTER_DIR.iterdir() if CLUSTER_DIR.exists() else []:
            if entry.name not in CACHES:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    leftovers = {
        "processes": sorted(
            pid for node in NODES for pid in processes.cgroup_processes(node.system_cgroup)
        ),
        "mounts": our_mounts(),
        "network namespaces": [n.netns for n in NODES if network.netns_exists(n)],
        "cgroups": [
            str(h / CGROUP_PARENT) for h in processes.hierarchies() if (h / CGROUP_PARENT).exists()
        ],
        "routes": [
            line
            for line in subprocess.run(
                ["ip", "route", "show"], capture_output=True, text=True, check=False
            ).stdout.splitlines()
            if line.startswith("10.244.") or "hearth0" in line
        ],
        "host processes": [name for name in HOST_PROCESSES if processes.running_pid(name)],
    }
    left = {what: found for what, found in leftovers.items() if found}
    if left:
        raise fail(f"left behind: {left}")
    say("nothing left behind: no process, mount, network namespace, cgroup or route")


def cmd_status(_: argparse.Namespace) -> None:
    for name in HOST_PROCESSES:
        say(f"{name:>24}: {processes.running_pid(name) or 'stopped'}")
    for node in NODES:
        for daemon in ("containerd", "kubelet", "kube-proxy"):
            pid = processes.running_pid(f"{node.name}-{daemon}")
            say(f"{node.name + ' ' + daemon:>24}: {pid or 'stopped'}")
    if control_plane.api_ready():
        print(control_plane.kubectl("get", "nodes", "-L", "topology.kubernetes.io/zone").stdout)


def cmd_node(options: argparse.Namespace) -> None:
    node = node_named(options.node)
    if options.action == "kill":
        nodes.kill(node)
    elif options.action == "start":
        nodes.start(node)
    elif options.action == "cut":
        network.cut(node)
    elif options.action == "heal":
        network.heal(node)


def cmd_url(_: argparse.Namespace) -> None:
    print(INGRESS_URL)


def main(argv: list[str]) -> None:
    if argv[:1] == ["kubectl"]:
        os.execv(
            BIN / "kubectl", [str(BIN / "kubectl"), "--kubeconfig", str(KUBECONFIG), *argv[1:]]
        )
    if os.geteuid() != 0:
        raise fail("the local cluster needs root (network namespaces, cgroups, mounts)")
    parser = argparse.ArgumentParser(prog="devstack/cluster", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="build what is missing, start, release Hearth")
    up.add_argument("--no-release", action="store_true", help="the cluster only, no Hearth")
    up.set_defaults(run=cmd_up)
    down = commands.add_parser("down", help="stop everything the cluster started")
    down.add_argument("--purge", action="store_true", help="also forget its state")
    down.set_defaults(run=cmd_down)
    commands.add_parser("status").set_defaults(run=cmd_status)
    node = commands.add_parser("node", help="kill, start, cut or heal one node")
    node.add_argument("action", choices=["kill", "start", "cut", "heal"])
    node.add_argument("node", choices=[n.name for n in NODES])
    node.set_defaults(run=cmd_node)
    commands.add_parser("url").set_defaults(run=cmd_url)
    options = parser.parse_args(argv)
    options.run(options)


if __name__ == "__main__":
    main(sys.argv[1:])
