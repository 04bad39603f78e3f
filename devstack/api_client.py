"""A small client of Hearth's public API, and a reader of the SMTP sink's mail:
shared by the demo-data seeder, the journey tests and the benchmarks, which all
drive the platform from outside, as a user would.

Where the platform is comes from the environment (`Target.from_environment`), so
the same journeys run against the local gateway or through the cluster's Ingress:

    HEARTH_BASE_URL    the platform's public URL (default: the local gateway,
                       http://127.0.0.1:8000)
    HEARTH_RESOLVE     curl's --resolve entries, space-separated, host:port:address:
                       connect to the address when the URL names host:port, while
                       the Host header, TLS SNI and the certificate check keep the
                       name (hearth.local:30443:127.0.0.1; /etc/hosts stays as it is)
    HEARTH_CA_BUNDLE   verify TLS against this PEM file (the cluster's
                       var/cluster/tls/tls.crt); verification is never turned off
    HEARTH_MAILDIR     the SMTP sink's folder (default var/mail; the cluster's
                       external sink writes var/cluster/mail)
    HEARTH_KUBECONFIG  makes staff accounts in the cluster, with `kubectl exec`
                       into an accounts pod (HEARTH_NAMESPACE, default hearth;
                       HEARTH_KUBECTL, default var/cluster/bin/kubectl); without
                       it, with the local manage.py
    HEARTH_WAIT_FACTOR how many times longer to wait for asynchronous effects
                       (mail, events, read models) and for each request; default
                       1 on the local gateway, 4 elsewhere

Relative paths are taken from the repository's root. The cluster run:

    HEARTH_BASE_URL=https://hearth.local:30443 \
    HEARTH_RESOLVE=hearth.local:30443:127.0.0.1 \
    HEARTH_CA_BUNDLE=var/cluster/tls/tls.crt HEARTH_MAILDIR=var/cluster/mail \
    HEARTH_KUBECONFIG=var/cluster/kubeconfig \
    .venv/bin/python devstack/run_tests.py e2e -- -q
"""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from devstack.cluster.topology import BIN as CLUSTER_BIN
from devstack.layout import GATEWAY_PORT, HOST, MAIL_DIR, ROOT

GATEWAY = f"http://{HOST}:{GATEWAY_PORT}"
REQUEST_TIMEOUT = 10.0  # seconds, on the local gateway; times the wait factor elsewhere
REMOTE_WAIT_FACTOR = 4.0
STAFF_COMMAND_TIMEOUT = 120.0


def _path(value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else ROOT / path


def parse_resolve(value: str) -> dict[tuple[str, int], str]:
    """curl's --resolve entries ("host:port:address", an IPv6 address in
    brackets), space-separated, as {(host, port): address}."""
    mapping = {}
    for entry in value.split():
        host, port, address = entry.split(":", 2)
        if not (host and port.isdigit() and address):
            raise ValueError(f"HEARTH_RESOLVE entry {entry!r} is not host:port:address")
        mapping[(host.lower(), int(port))] = address.strip("[]")
    return mapping


@dataclass(frozen=True)
class Target:
    """The platform under test: its public URL and how to reach it, its mail."""

    base_url: str = GATEWAY
    resolve: Mapping[tuple[str, int], str] = field(default_factory=dict)
    ca_bundle: Path | None = None
    mail_dir: Path = MAIL_DIR
    kubeconfig: Path | None = None
    namespace: str = "hearth"
    kubectl: str = "kubectl"
    wait_factor: float = 1.0

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> "Target":
        base_url = environ.get("HEARTH_BASE_URL", GATEWAY).rstrip("/")

        def path_or_none(name: str) -> Path | None:
            return _path(environ[name]) if environ.get(name) else None

        local_kubectl = CLUSTER_BIN / "kubectl"
        default_factor = 1.0 if base_url == GATEWAY else REMOTE_WAIT_FACTOR
        return cls(
            base_url=base_url,
            resolve=parse_resolve(environ.get("HEARTH_RESOLVE", "")),
            ca_bundle=path_or_none("HEARTH_CA_BUNDLE"),
            mail_dir=_path(environ.get("HEARTH_MAILDIR", str(MAIL_DIR))),
            kubeconfig=path_or_none("HEARTH_KUBECONFIG"),
            namespace=environ.get("HEARTH_NAMESPACE", "hearth"),
            kubectl=environ.get(
                "HEARTH_KUBECTL", str(local_kubectl) if local_kubectl.exists() else "kubectl"
            ),
            wait_factor=float(environ.get("HEARTH_WAIT_FACTOR", default_factor)),
        )

    @property
    def is_local(self) -> bool:
        """The local stack's own gateway: its processes, files and stores are here."""
        return self.base_url == GATEWAY

    @property
    def request_timeout(self) -> float:
        return REQUEST_TIMEOUT * self.wait_factor

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def session(self) -> requests.Session:
        """A requests session that reaches the target: mapped addresses, its CA.

        The environment's proxies and CA bundle are not consulted (trust_env off):
        the target is on this machine, and REQUESTS_CA_BUNDLE, when set, would win
        over session.verify (requests#3829) and check the certificate against the
        system's roots instead of the target's.
        """
        session = requests.Session()
        session.trust_env = False
        if self.ca_bundle is not None:
            session.verify = str(self.ca_bundle)
        if self.resolve:
            adapter = ResolvingAdapter(self.resolve)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        return session

    def describe(self) -> str:
        parts = [self.base_url]
        parts += [f"{host}:{port} -> {address}" for (host, port), address in self.resolve.items()]
        if self.ca_bundle is not None:
            parts.append(f"CA {self.ca_bundle}")
        parts.append(f"mail {self.mail_dir}")
        if self.kubeconfig is not None:
            parts.append(f"staff via kubectl ({self.kubeconfig}, -n {self.namespace})")
        return ", ".join(parts)


class _Resolving:
    """Mixed into urllib3's connections: the TCP connection goes to the mapped
    address, and everything after it (SNI, hostname check, Host) keeps the name."""

    resolve: Mapping[tuple[str, int], str] = {}

    def _new_conn(self):
        address = self.resolve.get((self.host.lower(), self.port))
        if address is None:
            return super()._new_conn()
        # urllib3 connects to _dns_host, which is also what `host` reads: swap it
        # for the connect only, so the TLS handshake that follows names the host.
        name = self._dns_host
        self._dns_host = address
        try:
            return super()._new_conn()
        finally:
            self._dns_host = name


class ResolvingAdapter(HTTPAdapter):
    """curl's --resolve for requests, on the sessions it is mounted on only."""

    def __init__(self, resolve: Mapping[tuple[str, int], str], **kwargs: Any) -> None:
        self.resolve = dict(resolve)
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        attributes = {"resolve": self.resolve}
        http = type("ResolvingHTTPConnection", (_Resolving, HTTPConnection), attributes)
        https = type("ResolvingHTTPSConnection", (_Resolving, HTTPSConnection), attributes)
        # The pool manager's own attribute, read when it makes a pool: no global state.
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("ResolvingHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("ResolvingHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
        }


TARGET = Target.from_environment()


class ApiError(Exception):
    def __init__(self, response: requests.Response) -> None:
        request = response.request
        super().__init__(
            f"{request.method} {response.url}: {response.status_code} {response.text[:500]}"
        )
        self.response = response


@dataclass
class Api:
    """Calls as one user (with `access`) or anonymously, to `target`."""

    access: str | None = None
    refresh: str | None = None
    user: dict | None = None
    target: Target = TARGET

    def __post_init__(self) -> None:
        self.http = self.target.session()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if self.access:
            headers["Authorization"] = f"Bearer {self.access}"
        kwargs.setdefault("timeout", self.target.request_timeout)
        return self.http.request(method, self.target.url(path), headers=headers, **kwargs)

    def call(self, method: str, path: str, *, expect: int = 200, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        if response.status_code != expect:
            raise ApiError(response)
        return response.json() if response.content else None

    # --- accounts ---
    def register(self, *, email: str, password: str, full_name: str, role: str) -> dict:
        """202 whether or not the email was free (accounts tells no one who has an
        account): signing in with the password is what shows the account is ours."""
        body = {"email": email, "password": password, "full_name": full_name, "role": role}
        return self.call("POST", "/api/v1/accounts/register", json=body, expect=202)

    def sign_in(self, *, email: str, password: str) -> "Api":
        tokens = self.call(
            "POST", "/api/v1/auth/token", json={"email": email, "password": password}
        )
        me = Api(access=tokens["access"], refresh=tokens["refresh"], target=self.target)
        me.user = me.call("GET", "/api/v1/accounts/me")
        return me

    def new_user(
        self, *, role: str, name: str = "", password: str = "a-long-demo-passphrase"
    ) -> "Api":
        """Register a user with a unique email and sign in as them."""
        email = f"{role}-{uuid.uuid4().hex[:10]}@example.test"
        self.register(
            email=email, password=password, full_name=name or f"Test {role.title()}", role=role
        )
        return self.sign_in(email=email, password=password)

    # --- listings ---
    def create_listing(self, **fields: Any) -> dict:
        return self.call("POST", "/api/v1/listings", json=listing_fields(**fields), expect=201)

    def publish(self, listing_id: str) -> dict:
        return self.call("POST", f"/api/v1/listings/{listing_id}/publish")

    def search(self, **params: Any) -> dict:
        return self.call("GET", "/api/v1/listings", params=params)

    def wait_until_searchable(self, listing_id: str, q: str, *, wait: float = 20.0) -> None:
        """Until `search` finds the listing by `q`: it indexes the listing's events
        a moment after listings has answered (times the target's wait factor)."""
        deadline = time.monotonic() + wait * self.target.wait_factor
        while True:
            response = self.request("GET", "/api/v1/search/listings", params={"q": q})
            if response.status_code == 200 and any(
                found["id"] == listing_id for found in response.json()["results"]
            ):
                return
            if time.monotonic() > deadline:
                raise ApiError(response)
            time.sleep(0.1)

    # --- applications ---
    def apply(self, listing_id: str, *, wait: float = 10.0, **fields: Any) -> dict:
        """Apply; retried for a few seconds (times the target's wait factor) while
        the listing's publication is still on its way to applications' read model
        (eventual consistency)."""
        body = {
            "listing_id": listing_id,
            "move_in_date": (date.today() + timedelta(days=45)).isoformat(),
            "occupants": 2,
            "monthly_income": {"amount": "5200.00", "currency": "EUR"},
            "message": "We would love to live here.",
            **fields,
        }
        deadline = time.monotonic() + wait * self.target.wait_factor
        while True:
            response = self.request("POST", "/api/v1/applications", json=body)
            if response.status_code == 201:
                return response.json()
            if (
                response.status_code != 400
                or "listing_id" not in response.json()
                or time.monotonic() > deadline
            ):
                raise ApiError(response)
            time.sleep(0.1)

    def decide(self, application_id: str, decision: str) -> dict:
        return self.call("POST", f"/api/v1/applications/{application_id}/{decision}")


def create_staff_account(
    *, email: str, password: str, full_name: str, target: Target = TARGET
) -> None:
    """The one step not done through the API: staff are made the way operators make
    them, with accounts' create_staff command, on the target's own accounts
    deployable: in the cluster (target.kubeconfig) inside a running accounts pod,
    else with the local manage.py. An account that exists is left alone. The
    password goes in on stdin or in the environment, never on a command line."""
    arguments = ["create_staff", "--superuser", "--noinput", "--email", email]
    if target.kubeconfig is not None:
        arguments += ["--full-name", full_name]
        completed = _create_staff_in_cluster(target, arguments, password)
    else:
        completed = subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=ROOT,
            env={
                **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
                "HEARTH_SERVICE": "accounts",
                "DJANGO_SUPERUSER_PASSWORD": password,
                "DJANGO_SUPERUSER_FULL_NAME": full_name,
            },
            capture_output=True,
            text=True,
            check=False,
        )
    if completed.returncode != 0 and "already" not in completed.stderr:
        raise RuntimeError(f"create_staff failed: {completed.stderr}")


# Run in the pod: the password from stdin into the environment create_staff reads,
# then the image's launcher, as `kubectl run ... manage create_staff` would start it.
_STAFF_IN_POD = (
    "import os, sys; "
    "os.environ['DJANGO_SUPERUSER_PASSWORD'] = sys.stdin.readline().rstrip('\\n'); "
    "os.execv(sys.executable, [sys.executable, '-m', 'config.launch', 'manage', *sys.argv[1:]])"
)


def _kubectl(target: Target, *arguments: str, **kwargs: Any) -> subprocess.CompletedProcess:
    return subprocess.run(
        [target.kubectl, f"--kubeconfig={target.kubeconfig}", "-n", target.namespace, *arguments],
        capture_output=True,
        text=True,
        check=False,
        timeout=STAFF_COMMAND_TIMEOUT,
        **kwargs,
    )


def _create_staff_in_cluster(
    target: Target, arguments: list[str], password: str
) -> subprocess.CompletedProcess:
    """In a running accounts pod, which has accounts' configuration and credentials
    (any of its processes: web, relay or consumers)."""
    pods = _kubectl(
        target,
        *("get", "pods", "-l", "hearth.io/deployable=accounts"),
        *("--field-selector=status.phase=Running", "-o", "name"),
    )
    if pods.returncode != 0 or not pods.stdout.split():
        raise RuntimeError(f"no running accounts pod in {target.namespace}: {pods.stderr}")
    pod = pods.stdout.split()[0]
    return _kubectl(
        target,
        "exec",
        "-i",
        pod,
        "--",
        "python",
        "-c",
        _STAFF_IN_POD,
        *arguments,
        input=password + "\n",
    )


def listing_fields(**overrides: Any) -> dict:
    return {
        "title": "Bright two-bedroom near the park",
        "description": "Quiet street, south-facing balcony, five minutes from the metro.",
        "street_address": "12 Rose Lane",
        "city": "Lisbon",
        "postal_code": "1100-001",
        "country": "PT",
        "latitude": "38.722300",
        "longitude": "-9.139300",
        "monthly_rent": {"amount": "1450.00", "currency": "EUR"},
        "deposit": {"amount": "2900.00", "currency": "EUR"},
        "bedrooms": 2,
        "bathrooms": "1.0",
        "area_sqm": "74.50",
        "amenities": ["balcony", "dishwasher"],
        "pets_allowed": True,
        "available_from": (date.today() + timedelta(days=30)).isoformat(),
        # No text links: a link to a host that does not exist is a broken image on every
        # page the listing shows in (uploaded photos are POST .../photos).
        "photos": [],
        **overrides,
    }


@dataclass(frozen=True)
class Mail:
    path: Path
    message: EmailMessage

    @property
    def to(self) -> str:
        return str(self.message["To"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part else ""

    def header(self, name: str) -> str | None:
        value = self.message[name]
        return str(value) if value is not None else None


class Mailbox:
    """The SMTP sink's folder: one .eml file per accepted message. Waits are
    times `wait_factor` (the target's), for a platform farther away."""

    def __init__(self, directory: Path | None = None, *, wait_factor: float | None = None) -> None:
        self.directory = directory or TARGET.mail_dir
        self.wait_factor = TARGET.wait_factor if wait_factor is None else wait_factor
        self._parsed: dict[Path, Mail] = {}

    def all(self) -> list[Mail]:
        for path in sorted(self.directory.glob("*.eml")):
            if path not in self._parsed:
                with path.open("rb") as file:
                    message = BytesParser(policy=default_policy).parse(file)
                self._parsed[path] = Mail(path, message)
        return list(self._parsed.values())

    def find(self, predicate: Callable[[Mail], bool]) -> list[Mail]:
        return [mail for mail in self.all() if predicate(mail)]

    def wait_for(self, predicate: Callable[[Mail], bool], *, timeout: float = 15.0) -> Mail:
        timeout *= self.wait_factor
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if found := self.find(predicate):
                return found[0]
            time.sleep(0.05)
        raise TimeoutError(f"no matching mail in {self.directory} after {timeout} s")
