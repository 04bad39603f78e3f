"""The Ingress controller as the chart configures it, run for real: the Traefik
binary of the hearth-traefik image (containers/traefik/, built under
var/images/traefik/) with the chart's own arguments and middleware file, on
loopback. Only the Kubernetes Ingress provider is left out (it needs an API
server): the chart's Ingresses are given to Traefik as file-provider routers with
the rules that provider derives from them (Host && PathPrefix for Prefix, Path for
Exact, the annotations' entry points, middlewares and priority). What this proves: Traefik
accepts the arguments and the middlewares, and the routes behave as the gateway's
do (devstack/templates/nginx.conf): routing by prefix, 404 for internal routes and
unknown hosts, 413 over 1 MB, 429 on the auth routes, and /media/ to the data tier's
filers under the bucket's prefix, cached, with no cookie passed either way.

Ports 18560-18579 (this test's own).
"""

import http.client
import json
import os
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from helm.tests.chart_rendering import ROOT, by_name, of_kind, pod_spec, rendered

TRAEFIK = ROOT / "var" / "images" / "traefik" / "traefik"
HOST = "hearth.local"
WEB, WEBSECURE, PING = 18560, 18561, 18562
FIRST_BACKEND = 18563
SETTINGS = ("ingress.hosts={hearth.local}", "ingress.tls.enabled=false")


class Backend(BaseHTTPRequestHandler):
    """Answers with the Service it stands for and the path it was sent."""

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        answer = {"service": self.server.service, "path": self.path}
        # What must never reach object storage, when it is sent.
        for header in ("Cookie", "Authorization"):
            if header in self.headers:
                answer[header.lower()] = self.headers[header]
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Set-Cookie", "from-the-store=1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *arguments):
        pass


def routers(ingresses: list[dict], backends: dict[str, int]) -> dict:
    """The chart's Ingresses as Traefik's Ingress provider turns them into routers."""
    routers, services = {}, {}
    for ingress in ingresses:
        annotations = ingress["metadata"].get("annotations", {})
        middlewares = annotations.get("traefik.ingress.kubernetes.io/router.middlewares")
        entry_points = annotations["traefik.ingress.kubernetes.io/router.entrypoints"].split(",")
        for rule in ingress["spec"]["rules"]:
            for index, path in enumerate(rule["http"]["paths"]):
                matcher = "Path" if path["pathType"] == "Exact" else "PathPrefix"
                service = path["backend"]["service"]["name"]
                router = {
                    "rule": f"Host(`{rule['host']}`) && {matcher}(`{path['path']}`)",
                    "entryPoints": entry_points,
                    "service": service,
                }
                if middlewares:
                    router["middlewares"] = middlewares.split(",")
                if "traefik.ingress.kubernetes.io/router.priority" in annotations:
                    priority = annotations["traefik.ingress.kubernetes.io/router.priority"]
                    router["priority"] = int(priority)
                routers[f"{ingress['metadata']['name']}-{index}"] = router
                url = f"http://127.0.0.1:{backends[service]}"
                services[service] = {"loadBalancer": {"servers": [{"url": url}]}}
    return {"http": {"routers": routers, "services": services}}


def local_arguments(arguments: list[str], dynamic_dir: Path, shift: int = 0) -> list[str]:
    """The chart's arguments on loopback ports, without the Kubernetes provider."""
    moved = {
        "--entryPoints.web.address": f"127.0.0.1:{WEB + shift}",
        "--entryPoints.websecure.address": f"127.0.0.1:{WEBSECURE + shift}",
        "--entryPoints.traefik.address": f"127.0.0.1:{PING + shift}",
        "--providers.file.directory": str(dynamic_dir),
    }
    kept = []
    for argument in arguments:
        name = argument.split("=", 1)[0]
        if name.startswith("--providers.kubernetesIngress"):
            continue
        kept.append(f"{name}={moved[name]}" if name in moved else argument)
    return kept


@pytest.fixture(scope="module")
def traefik(tmp_path_factory):
    assert TRAEFIK.exists(), f"{TRAEFIK} is missing: `make images` builds it"
    documents = rendered(None, SETTINGS)
    names = {s["metadata"]["name"] for s in of_kind(documents, "Service")}
    names.remove("hearth-traefik")
    # Backends of the data chart's release (the filers, for /media/) stand in here too.
    names |= {
        path["backend"]["service"]["name"]
        for ingress in of_kind(documents, "Ingress")
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    names = sorted(names)
    servers = []
    backends = {}
    for offset, name in enumerate(names):
        server = ThreadingHTTPServer(("127.0.0.1", FIRST_BACKEND + offset), Backend)
        server.service = name
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        backends[name] = FIRST_BACKEND + offset
    dynamic_dir = tmp_path_factory.mktemp("traefik-dynamic")
    config_map = by_name(documents, "ConfigMap")["hearth-traefik-dynamic"]
    for file_name, text in config_map["data"].items():
        (dynamic_dir / file_name).write_text(text)
    routes = routers(of_kind(documents, "Ingress"), backends)
    (dynamic_dir / "routes.yaml").write_text(yaml.safe_dump(routes))
    container = pod_spec(by_name(documents, "Deployment")["hearth-traefik"])["containers"][0]
    log = (dynamic_dir / "traefik.log").open("w")
    process = subprocess.Popen(
        [str(TRAEFIK), *local_arguments(container["args"], dynamic_dir)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_routed(process, dynamic_dir / "traefik.log")
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)
        for server in servers:
            server.shutdown()


def wait_until_routed(process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, f"traefik exited:\n{log.read_text()}"
        try:
            if request("GET", "/")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"traefik did not route within 30 s:\n{log.read_text()}")


def request(
    method: str,
    path: str,
    *,
    host: str = HOST,
    body: bytes | None = None,
    port=WEB,
    headers: dict[str, str] | None = None,
):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        connection.close()


def backend_saw(method: str, path: str, **kwargs) -> dict:
    status, body, _ = request(method, path, **kwargs)
    assert status == 200, (path, status, body)
    return json.loads(body)


def test_the_controller_answers_its_ping(traefik):
    assert request("GET", "/ping", port=PING)[0] == 200


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/", "hearth-frontend"),
        ("/static/css/hearth.css", "hearth-frontend"),
        ("/api/v1/listings", "hearth-listings"),
        ("/api/v1/listings/42/photos", "hearth-listings"),
        ("/api/v1/auth/logout-everywhere", "hearth-accounts"),
        ("/api/v1/notifications?page=2", "hearth-notifications"),
        ("/admin/payments/", "hearth-payments"),
    ],
)
def test_paths_reach_their_deployable_unchanged(traefik, path, service):
    assert backend_saw("GET", path) == {"service": service, "path": path}


@pytest.mark.parametrize(
    "path",
    ["/api/v1/accounts/internal/users/7", "/api/v1/auth/internal", "/api/v1/payments/internal/"],
)
def test_internal_routes_never_reach_the_internal_views(traefik, path):
    seen = backend_saw("GET", path)
    # The deployable is asked for a path none serves: its own JSON 404.
    assert seen["path"] == "/api/v1/internal-route-refused"


def test_media_is_the_buckets_media_prefix_on_the_filers_cached_and_without_cookies(traefik):
    status, body, headers = request(
        "GET", "/media/0a1b.webp", headers={"Cookie": "sessionid=secret", "Authorization": "x"}
    )
    assert status == 200
    assert json.loads(body) == {
        "service": "hearth-data-seaweedfs-filer",
        "path": "/buckets/hearth-production/media/0a1b.webp",
    }
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in headers


def test_a_host_that_is_not_ours_is_refused(traefik):
    assert request("GET", "/", host="evil.example")[0] == 404


def test_a_body_over_one_megabyte_is_refused(traefik):
    assert request("POST", "/api/v1/listings", body=b"x" * (1024 * 1024))[0] == 200
    assert request("POST", "/api/v1/listings", body=b"x" * (1024 * 1024 + 1))[0] == 413


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/auth/token",
        "/api/v1/auth/token/refresh",
        "/api/v1/accounts/register",
        "/api/v1/accounts/password-reset",
        "/api/v1/accounts/password-reset/confirm",
    ],
)
def test_the_auth_routes_are_rate_limited_per_address(traefik, path):
    answers = [request("POST", path, body=b"{}") for _ in range(40)]
    statuses = [status for status, _, _ in answers]
    assert statuses[0] == 200
    assert 429 in statuses, statuses
    limited = next(headers for status, _, headers in answers if status == 429)
    assert "Retry-After" in limited
    # A route without a limit is not slowed by it.
    assert request("POST", "/api/v1/listings", body=b"{}")[0] == 200


def test_the_kubernetes_provider_arguments_are_accepted(tmp_path):
    # Left out above because it needs an API server: given all the chart's arguments,
    # Traefik parses them (an unknown one ends it at once) and starts its Ingress
    # provider, which then fails only for want of a service-account token.
    container = pod_spec(by_name(rendered(None, SETTINGS), "Deployment")["hearth-traefik"])
    arguments = container["containers"][0]["args"]
    loopback = local_arguments(arguments, tmp_path, shift=15)  # beside the routing test's
    kubernetes = [a for a in arguments if a.startswith("--providers.kubernetesIngress")]
    assert len(kubernetes) >= 3
    log = tmp_path / "traefik.log"
    with log.open("w") as output:
        # As in a pod: the API server's address is set, its token is not there.
        in_pod = {"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "18579"}
        process = subprocess.Popen(
            [str(TRAEFIK), *loopback, *kubernetes],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **in_pod},
        )
        try:
            deadline = time.monotonic() + 15
            while "ingress.Provider" not in log.read_text() and time.monotonic() < deadline:
                assert process.poll() is None, log.read_text()
                time.sleep(0.2)
        finally:
            process.terminate()
            process.wait(timeout=30)
    text = log.read_text()
    assert "failed to decode configuration" not in text
    assert "serviceaccount/token" in text, text
