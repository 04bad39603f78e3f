"""Metrics are internal (docs/observability.md): every process of every deployable
serves them on its own port, the gateway refuses the path, and VictoriaMetrics
scrapes all of them. Local stack only: it calls the processes' own ports."""

import json
import urllib.parse
import urllib.request

import pytest
import requests

from devstack.layout import HOST, SERVICES
from devstack.observability import VM_PORT, deployable_targets

pytestmark = pytest.mark.local_stack(reason="calls each process's own metrics port")

GATEWAY = f"http://{HOST}:8000"


def test_the_gateway_refuses_metrics():
    for path in ("/metrics", "/metrics/", "/metrics?x=1"):
        response = requests.get(f"{GATEWAY}{path}", timeout=10)
        assert response.status_code == 404, path
        assert "hearth_" not in response.text
    # A route the gateway or the Ingress might open to a deployable (the front end
    # takes every path no API claims): proxied requests are not answered metrics.
    for name, service in SERVICES.items():
        proxied = requests.get(
            f"http://{HOST}:{service.port}/metrics",
            headers={"X-Forwarded-For": "203.0.113.7", "Host": "127.0.0.1"},
            timeout=10,
        )
        assert proxied.status_code == 404, name
        assert "hearth_" not in proxied.text


def test_every_process_serves_its_metrics_and_is_scraped():
    for target in deployable_targets():
        labels = target["labels"]
        [address] = target["targets"]
        response = requests.get(f"http://{address}/metrics", timeout=20)
        assert response.status_code == 200, labels
        if labels["process"] == "web":  # requests per route, and what is read live
            assert "django_http_requests_latency_seconds_by_view_method" in response.text
            assert "hearth_ready{" in response.text, labels
        else:
            assert "hearth_" in response.text or "python_info" in response.text, labels

    query = urllib.parse.urlencode({"query": 'count by (service, process) (up{job="hearth"})'})
    url = f"http://{HOST}:{VM_PORT}/api/v1/query?{query}"
    with urllib.request.urlopen(url, timeout=10) as answer:
        scraped = {
            (series["metric"]["service"], series["metric"]["process"])
            for series in json.load(answer)["data"]["result"]
        }
    assert {(name, "web") for name in SERVICES} <= scraped
    expected = {(t["labels"]["service"], t["labels"]["process"]) for t in deployable_targets()}
    assert expected <= scraped
