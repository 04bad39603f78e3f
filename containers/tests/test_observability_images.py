"""The observability chart's images (helm/hearth-observability), run for real as the
chart runs them: read-only root filesystem, uid 10001, /tmp and the data volume the
only writable places. Zipkin keeps a span sent to it, in memory, under the heap it is
given; VictoriaMetrics accepts the app chart's scrape job and stores and answers a
sample; vmalert, from the same image, accepts the chart's rules."""

import json
import os
import time
import urllib.request
from pathlib import Path

import pytest

from containers.tests.conftest import ROOT, built, podman, wait_for_status
from helm.tests.chart_rendering import CHART as APP_CHART
from helm.tests.chart_rendering import by_name, documents, pod_spec, template

ZIPKIN_PORT = 18182
VM_PORT = 18183
IMAGES = {
    "zipkin": "localhost/hearth/hearth-zipkin:3.6.1",
    "victoria-metrics": "localhost/hearth/hearth-victoria-metrics:1.151.0",
}
CHART = ROOT / "helm" / "hearth-observability"


@pytest.fixture(scope="module")
def images() -> dict[str, str]:
    return built(IMAGES)


def rendered(chart: Path, release: str, kind: str, name: str) -> dict:
    return by_name(documents(template(chart=chart, release=release)), kind)[name]


def mounted(folder: Path) -> Path:
    """pytest's folders are 0700 and root's: readable by uid 10001 as a ConfigMap volume
    is (0755 folders, 0644 files)."""
    folder.chmod(0o755)
    for path in folder.iterdir():
        path.chmod(0o644)
    return folder


def test_zipkin_keeps_a_span_in_memory_under_its_heap(images):
    container = "hearth-image-test-zipkin"
    podman("rm", "--force", "--ignore", container)
    podman(
        *("run", "--detach", "--name", container, "--read-only", "--tmpfs", "/tmp"),
        *("--env", "STORAGE_TYPE=mem", "--env", "MEM_MAX_SPANS=1000"),
        *("--env", "JAVA_OPTS=-Xms64m -Xmx160m"),
        *("--publish", f"127.0.0.1:{ZIPKIN_PORT}:9411", images["zipkin"]),
    )
    try:
        base = f"http://127.0.0.1:{ZIPKIN_PORT}"
        deadline = time.monotonic() + 180  # a JVM on a busy machine
        while wait_for_status(f"{base}/health", 180, container)[0] != 200:
            assert time.monotonic() < deadline, podman("logs", container).stdout[-2000:]
            time.sleep(1)
        trace_id = "5af7183fb1d4cf5f5af7183fb1d4cf5f"
        span = {
            "traceId": trace_id,
            "id": "6b221d5bc9e6496c",
            "name": "get /listings",
            "timestamp": int(time.time() * 1e6),
            "duration": 1200,
            "localEndpoint": {"serviceName": "listings"},
        }
        request = urllib.request.Request(
            f"{base}/api/v2/spans",
            data=json.dumps([span]).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 202
        deadline = time.monotonic() + 10
        while (answer := wait_for_status(f"{base}/api/v2/trace/{trace_id}", 10, container))[
            0
        ] != 200:
            assert time.monotonic() < deadline, answer
            time.sleep(0.3)
        (kept,) = json.loads(answer[1])
        assert kept["name"] == span["name"]
        command = podman("exec", container, "cat", "/proc/1/cmdline").stdout.split("\0")
        assert "-Xmx160m" in command
        assert podman("exec", container, "id", "-u").stdout.strip() == "10001"
    finally:
        podman("rm", "--force", "--ignore", container)


def test_victoria_metrics_accepts_the_app_chart_s_scrape_job(images, tmp_path):
    config_map = rendered(APP_CHART, "hearth", "ConfigMap", "hearth-scrape-config")
    (tmp_path / "scrape.yaml").write_text(config_map["data"]["scrape.yaml"])
    checked = podman(
        *("run", "--rm", "--read-only", "--volume", f"{mounted(tmp_path)}:/etc/hearth/scrape:ro,z"),
        images["victoria-metrics"],
        *("-promscrape.config=/etc/hearth/scrape/scrape.yaml", "-promscrape.config.dryRun"),
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_vmalert_in_the_same_image_accepts_the_chart_s_rules(images, tmp_path):
    rules = rendered(
        CHART, "hearth-observability", "ConfigMap", "hearth-observability-vmalert-rules"
    )
    for file_name, text in rules["data"].items():
        (tmp_path / file_name).write_text(text)
    checked = podman(
        *("run", "--rm", "--read-only", "--volume", f"{mounted(tmp_path)}:/etc/hearth/rules:ro,z"),
        *("--entrypoint", "/usr/local/bin/vmalert", images["victoria-metrics"]),
        *("-dryRun", "-rule=/etc/hearth/rules/*.yml"),
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_victoria_metrics_stores_and_answers_with_the_chart_s_arguments(images, tmp_path):
    statefulset = rendered(
        CHART, "hearth-observability", "StatefulSet", "hearth-observability-victoria-metrics"
    )
    # The chart's arguments, but the scrape job and dashboards of a pod in a cluster.
    (server,) = pod_spec(statefulset)["containers"]
    args = [a for a in server["args"] if not a.startswith(("-promscrape", "-vmui"))]
    storage = tmp_path / "storage"
    storage.mkdir()
    os.chown(storage, 10001, 10001)  # as the volume's fsGroup would make it
    container = "hearth-image-test-victoria-metrics"
    podman("rm", "--force", "--ignore", container)
    podman(
        *("run", "--detach", "--name", container, "--read-only", "--tmpfs", "/tmp"),
        *("--volume", f"{storage}:/storage:z", "--publish", f"127.0.0.1:{VM_PORT}:8428"),
        images["victoria-metrics"],
        *args,
    )
    try:
        base = f"http://127.0.0.1:{VM_PORT}"
        assert wait_for_status(f"{base}/health", 60, container)[0] == 200
        # A minute old: samples newer than -search.latencyOffset (30 s) are not answered yet.
        stamp = int((time.time() - 60) * 1000)
        sample = f'hearth_image_test{{service="listings"}} 42 {stamp}\n'.encode()
        request = urllib.request.Request(f"{base}/api/v1/import/prometheus", data=sample)
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 204
        urllib.request.urlopen(f"{base}/internal/force_flush", timeout=10).close()
        query = f"{base}/api/v1/query?query=hearth_image_test"
        with urllib.request.urlopen(query, timeout=10) as response:
            (result,) = json.loads(response.read())["data"]["result"]
        assert result["metric"]["service"] == "listings"
        assert result["value"][1] == "42"
        assert any(storage.iterdir()), "nothing written to the volume"
    finally:
        podman("rm", "--force", "--ignore", container)
