"""What the local cluster costs at rest: CPU and memory per pod, per node's daemons and
per control-plane process, over a quiet window.

    .venv/bin/python bench/cluster_footprint.py [--seconds 60] [--top 25]

CPU is read from the cgroups (cpuacct.usage), so processes that live for a moment
(exec probes, `runc exec`) are counted in the pod or node daemons that spawned them;
the control plane and the host's add-ons run outside the cluster's cgroups and are
read per process (their PID files). Memory is each cgroup's resident set (memory.stat
total_rss) and each host process's VmRSS. The whole machine's CPU and used memory
(MemTotal - MemAvailable) come from /proc, so what is not the cluster shows too.
"""

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devstack.cluster.control_plane import kubectl
from devstack.cluster.topology import CGROUP_PARENT, CGROUP_ROOT, NODES, PIDS

CPUACCT = CGROUP_ROOT / "cpuacct"
MEMORY = CGROUP_ROOT / "memory"
TICKS = os.sysconf("SC_CLK_TCK")
NODE_DAEMONS = "node daemons (kubelet, kube-proxy, containerd, shims)"


def pod_names() -> dict[str, tuple[str, str]]:
    """pod uid -> (namespace/name, the group it is summed into)."""
    listing = kubectl("get", "pods", "-A", "-o", "json")
    if listing.returncode != 0:
        raise SystemExit(f"kubectl get pods: {listing.stderr.strip()}")
    names = {}
    for pod in json.loads(listing.stdout)["items"]:
        meta = pod["metadata"]
        labels = meta.get("labels", {})
        group = labels.get("app.kubernetes.io/name") or meta["name"].rsplit("-", 2)[0]
        component = labels.get("app.kubernetes.io/component")
        if component and component not in group:
            group = f"{group}-{component}"
        # The kubelet's cgroupfs driver names a pod's cgroup pod<uid>.
        names[meta["uid"]] = (f"{meta['namespace']}/{meta['name']}", group)
    return names


def cgroup_usage() -> dict[str, tuple[int, int]]:
    """Every pod cgroup and node-daemon cgroup: (CPU ns, resident bytes)."""
    usage = {}
    for node in NODES:
        system = node.system_cgroup.lstrip("/")
        usage[f"{node.name} daemons"] = _read(system)
        for qos in (CPUACCT / node.pods_cgroup.lstrip("/")).rglob("pod*"):
            if not qos.is_dir():
                continue
            relative = str(qos.relative_to(CPUACCT))
            usage[f"pod:{node.name}:{qos.name[3:]}"] = _read(relative)
    return usage


def _read(relative: str) -> tuple[int, int]:
    try:
        cpu = int((CPUACCT / relative / "cpuacct.usage").read_text())
        stat = (MEMORY / relative / "memory.stat").read_text().split()
        rss = int(stat[stat.index("total_rss") + 1])
    except (OSError, ValueError):
        return 0, 0
    return cpu, rss


def host_processes() -> dict[str, int]:
    """The control plane and the host's add-ons, by their PID files: name -> PID. A
    node's daemons are left out: their cgroup counts them (and what they spawn)."""
    pids = {}
    for pid_file in sorted(PIDS.glob("*.pid")):
        try:
            pid = int(pid_file.read_text().split()[0])
            if CGROUP_PARENT not in Path(f"/proc/{pid}/cgroup").read_text():
                pids[pid_file.stem] = pid
        except (OSError, ValueError, IndexError):
            continue
    return pids


def process_usage(pid: int) -> tuple[int, int]:
    """(CPU ns, resident bytes) of one process and its reaped children."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0, 0
    ticks = sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    rss_lines = [line for line in status.splitlines() if line.startswith("VmRSS")]
    rss_kb = int(rss_lines[0].split()[1]) if rss_lines else 0
    return ticks * 1_000_000_000 // TICKS, rss_kb * 1024


def machine() -> tuple[float, int]:
    """(busy CPU seconds since boot, used bytes)."""
    cpu = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    busy = sum(cpu) - cpu[3] - cpu[4]  # minus idle and iowait
    meminfo = {
        line.split(":")[0]: int(line.split()[1]) * 1024
        for line in Path("/proc/meminfo").read_text().splitlines()
    }
    return busy / TICKS, meminfo["MemTotal"] - meminfo["MemAvailable"]


def snapshot() -> dict[str, tuple[int, int]]:
    usage = cgroup_usage()
    for name, pid in host_processes().items():
        usage[f"host {name}"] = process_usage(pid)
    return usage


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--top", type=int, default=25, help="rows of the per-pod table")
    args = parser.parse_args(argv)

    names = pod_names()
    before, machine_before, started = snapshot(), machine(), time.monotonic()
    print(f"cluster footprint: sampling {args.seconds:g} s of rest", flush=True)
    time.sleep(args.seconds)
    after, (machine_busy, machine_used), wall = snapshot(), machine(), time.monotonic() - started

    rows = []
    for key, (cpu, rss) in after.items():
        cpu_share = (cpu - before.get(key, (cpu, 0))[0]) / 1e9 / wall
        if key.startswith("pod:"):
            _, node, uid = key.split(":", 2)
            name, group = names.get(uid, (f"(gone) {uid[:8]}", "(gone)"))
            rows.append((f"{name} [{node}]", group, cpu_share, rss))
        elif key.startswith("host "):
            rows.append((key, "control plane and host add-ons", cpu_share, rss))
        else:
            rows.append((key, NODE_DAEMONS, cpu_share, rss))

    groups: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for _, group, cpu_share, rss in rows:
        groups[group][0] += cpu_share
        groups[group][1] += rss
        groups[group][2] += 1
    print(f"\n{'group':<58} {'n':>3} {'CPU (cores)':>11} {'RSS MiB':>8}")
    for group, (cpu_share, rss, count) in sorted(groups.items(), key=lambda g: -g[1][0]):
        print(f"{group:<58} {count:>3} {cpu_share:>11.3f} {rss / 2**20:>8.0f}")
    cluster_cpu = sum(r[2] for r in rows)
    cluster_rss = sum(r[3] for r in rows)
    print(
        f"{'the cluster, all of it':<58} {len(rows):>3} "
        f"{cluster_cpu:>11.3f} {cluster_rss / 2**20:>8.0f}"
    )
    print(
        f"{'the whole machine (/proc)':<58} {'':>3} "
        f"{(machine_busy - machine_before[0]) / wall:>11.3f} {machine_used / 2**20:>8.0f}"
    )

    print(f"\nthe {args.top} busiest")
    for name, _, cpu_share, rss in sorted(rows, key=lambda r: -r[2])[: args.top]:
        print(f"  {name:<70} {cpu_share:>7.3f} {rss / 2**20:>7.0f} MiB")


if __name__ == "__main__":
    main(sys.argv[1:])
