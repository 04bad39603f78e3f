"""Hostile input and the gateway's protections, against the running platform.

The probe battery sends what an attacker would (JSON nested a thousand deep, a
5 MB body, a Host that is not ours, invalid UTF-8 and NUL bytes wherever they
fit, numbers no column holds, broken multipart, a wrong Content-Type) to every
deployable's API and to the web UI, both through the gateway and straight to each
gunicorn, since traffic inside Kubernetes may never pass the gateway. Every answer
is a 4xx (or a normal answer), never a 5xx, never a traceback or a debug page:
JSON from an API and from whatever answers before Django, the friendly page from
the UI.
"""

import http.client
import json
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import requests

from config.services import SERVICES
from devstack.api_client import GATEWAY, Api, create_staff_account, listing_fields
from devstack.layout import ROOT

# What a debug page, a traceback or a settings dump would show.
LEAKS = (
    b"Traceback",
    b"site-packages",
    b"Exception Value",
    b"Exception Type",
    b"URLconf",
    b"Django tried these URL patterns",
    b"DEBUG",
    b"SECRET_KEY",
    b"DisallowedHost",
    str(ROOT).encode(),
)
FIVE_MB = 5 * 1024 * 1024
ORIGINS = ("gateway", "direct")


@dataclass(frozen=True)
class Target:
    deployable: str
    get_path: str  # a GET that reads the query string
    post_path: str  # a POST that parses its body, or refuses the method
    role: str | None = None  # whose token is sent along

    @property
    def is_ui(self) -> bool:
        return self.deployable == "frontend"

    def base(self, origin: str) -> str:
        return GATEWAY if origin == "gateway" else f"http://127.0.0.1:{port(self.deployable)}"


def port(deployable: str) -> int:
    return SERVICES[deployable].port


TARGETS = [
    Target("accounts", "/api/v1/accounts/", "/api/v1/auth/logout"),
    Target("listings", "/api/v1/listings", "/api/v1/listings", role="landlord"),
    Target("applications", "/api/v1/applications", "/api/v1/applications", role="renter"),
    Target("payments", "/api/v1/payments/", "/api/v1/payments/"),
    Target("notifications", "/api/v1/notifications", "/api/v1/notifications", role="renter"),
    Target("frontend", "/", "/signin"),
]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def from_django(self) -> bool:
        # Every deployable echoes the request id; nginx's and gunicorn's own answers do not.
        return "x-request-id" in self.headers


# --- how a probe is sent ---------------------------------------------------------


def send(target: Target, origin: str, method: str, path: str, token: str | None, **kw) -> Answer:
    headers = {"Accept": "application/json", **kw.pop("headers", {})}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = requests.request(
        method, f"{target.base(origin)}{path}", headers=headers, timeout=30, **kw
    )
    return Answer(
        response.status_code,
        {k.lower(): v for k, v in response.headers.items()},
        response.content,
    )


def send_raw(target: Target, origin: str, head: bytes, body: bytes = b"") -> Answer:
    """Bytes no HTTP client library would send, written to the socket as they are.
    `head` is the request line and any header lines, each ending in CRLF."""
    address = urlsplit(target.base(origin))
    ending = f"Host: {address.netloc}\r\nConnection: close\r\n\r\n".encode()
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(head + ending + body)
        response = http.client.HTTPResponse(sock, method=head.split(b" ", 1)[0].decode())
        response.begin()
        return Answer(
            response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        )


def json_post(body: bytes, content_type: str = "application/json") -> Callable:
    def probe(target: Target, origin: str, token: str | None) -> Answer:
        return send(
            target,
            origin,
            "POST",
            target.post_path,
            token,
            data=body,
            headers={"Content-Type": content_type},
        )

    return probe


def get(suffix: str = "", query: str = "", **headers: str) -> Callable:
    def probe(target: Target, origin: str, token: str | None) -> Answer:
        path = target.get_path.rstrip("/") + suffix if suffix else target.get_path
        return send(
            target, origin, "GET", f"{path}?{query}" if query else path, token, headers=headers
        )

    return probe


def raw_get(line_suffix: bytes = b"", query: bytes = b"", header: bytes = b"") -> Callable:
    def probe(target: Target, origin: str, token: str | None) -> Answer:
        path = target.get_path.encode() + line_suffix + (b"?" + query if query else b"")
        head = b"GET " + path + b" HTTP/1.1\r\n" + header
        return send_raw(target, origin, head)

    return probe


def raw_post(headers: bytes, body: bytes) -> Callable:
    def probe(target: Target, origin: str, token: str | None) -> Answer:
        head = b"POST " + target.post_path.encode() + b" HTTP/1.1\r\n" + headers
        return send_raw(target, origin, head, body)

    return probe


HUGE_NUMBERS = (
    b'{"bedrooms": 1' + b"0" * 40 + b', "bathrooms": 1e999999, "area_sqm": -1e400,'
    b' "latitude": 1e308, "monthly_rent": {"amount": "1e999999", "currency": "EUR"},'
    b' "deposit": {"amount": 99999999999999999999999999, "currency": "EUR"},'
    b' "listing_id": 123456789012345678901234567890, "refresh": 1e999}'
)
NUL_STRINGS = (
    b'{"title": "a\\u0000b", "city": "\\u0000", "email": "x\\u0000@example.test",'
    b' "refresh": "\\u0000", "message": "\\u0000", "full_name": "\\u0000"}'
)
# Each field at the edge of what JSON and the parser allow, in an otherwise valid
# listing and application: serializers must refuse what a column cannot hold.
EDGE_VALUES = json.dumps(
    {
        **listing_fields(
            bedrooms=2**63 - 1,
            bathrooms=1e300,
            area_sqm=-1e300,
            latitude=1e300,
            monthly_rent={"amount": "9" * 40, "currency": "EUR"},
            deposit={"amount": "-0.0000001", "currency": "XXXX"},
            available_from="9999-12-31",
            photos=[{"url": "https://" + "a" * 2000 + ".example/x.jpg", "caption": "x"}],
            amenities=["x" * 10_000] * 50,
        ),
        "listing_id": str(uuid.uuid4()),
        "move_in_date": "99999-01-01",
        "occupants": -(2**63 - 1),
        "monthly_income": {"amount": 1e300, "currency": "EUR"},
        "message": "x" * 100_000,
        "refresh": "x" * 100_000,
    }
).encode()
BROKEN_MULTIPART = b"--xyz\r\nContent-Disposition: form-data; name=\r\n\r\nno end"


# Name -> (probe, the status it must get, or None for "any answer below 500").
PROBES: dict[str, tuple[Callable, int | None]] = {
    "JSON nested 1,000 deep": (json_post(b"[" * 1000 + b"]" * 1000), None),
    "JSON objects nested 100 deep": (json_post(b'{"a":' * 100 + b"1" + b"}" * 100), None),
    "JSON nested 100,000 deep": (json_post(b"[" * 100_000), None),
    "a 5 MB body": (json_post(b'{"a": "' + b"x" * FIVE_MB + b'"}'), 413),
    "a 5 MB form": (
        json_post(b"a=" + b"x" * FIVE_MB, "application/x-www-form-urlencoded"),
        413,
    ),
    "Host: evil.example": (get(Host="evil.example"), 400),
    "Host with a port that is not a number": (get(Host="127.0.0.1:x"), 400),
    "invalid UTF-8 in the JSON body": (json_post(b'{"title": "\xff\xfe\xc3("}'), None),
    "JSON in a charset that does not exist": (
        json_post(b"{}", "application/json; charset=no-such-charset"),
        None,
    ),
    "JSON in a compressing codec": (json_post(b"{}", "application/json; charset=bz2_codec"), None),
    "invalid UTF-8 in the query string": (get(query="city=%ff%fe&q=%c3%28&page=%80"), None),
    "invalid UTF-8 in the path": (get(suffix="/%ff%fe%c3%28"), None),
    "raw non-ASCII bytes in the path": (raw_get(line_suffix=b"/\xff\xfe"), 400),
    "raw non-ASCII bytes in the query string": (raw_get(query=b"city=\xff\xfe"), 400),
    "invalid UTF-8 in headers": (
        raw_get(header=b"X-Probe: \xff\xfe\xc3(\r\nAuthorization: Bearer \xff\xfe\r\n"),
        None,
    ),
    "a NUL byte in a header": (raw_get(header=b"X-Probe: a\x00b\r\n"), 400),
    "numbers no column holds": (json_post(HUGE_NUMBERS), None),
    "edge values in an otherwise valid body": (json_post(EDGE_VALUES), None),
    "an integer of 5,000 digits": (json_post(b'{"bedrooms": ' + b"7" * 5000 + b"}"), None),
    "NaN and Infinity": (json_post(b'{"bathrooms": NaN, "area_sqm": Infinity}'), None),
    "huge numbers in the query string": (
        get(query="page=" + "9" * 30 + "&page_size=" + "9" * 30 + "&min_rent=1e999&bedrooms=1e400"),
        None,
    ),
    "NUL characters in JSON strings": (json_post(NUL_STRINGS), None),
    "a lone surrogate in a JSON string": (
        json_post(b'{"title": "\\ud800", "city": "\\udfff"}'),
        None,
    ),
    "a NUL in the query string": (get(query="city=%00&q=a%00b&status=%00"), 400),
    "a NUL in the path": (get(suffix="/%00"), 400),
    "broken multipart": (json_post(BROKEN_MULTIPART, "multipart/form-data; boundary=xyz"), None),
    "multipart without a boundary": (json_post(b"a=1", "multipart/form-data"), None),
    "a wrong Content-Type": (json_post(b"<xml/>", "application/xml"), None),
    "text that is not JSON": (json_post(b"{'single': 'quotes'}"), None),
    "a Content-Length that is not a number": (
        raw_post(b"Content-Type: application/json\r\nContent-Length: abc\r\n", b"{}"),
        400,
    ),
    "a URL 20,000 characters long": (get(query="q=" + "a" * 20_000), None),
}


@pytest.fixture(scope="module")
def tokens() -> dict[str, str]:
    return {role: Api().new_user(role=role).access for role in ("landlord", "renter")}


@pytest.mark.parametrize("origin", ORIGINS)
@pytest.mark.parametrize("target", TARGETS, ids=lambda target: target.deployable)
@pytest.mark.parametrize("probe_name", list(PROBES))
def test_hostile_input_gets_a_clean_4xx_never_a_5xx(probe_name, target, origin, tokens):
    probe, expected = PROBES[probe_name]
    answer = probe(target, origin, tokens.get(target.role))

    assert answer.status < 500, (answer.status, answer.body[:300])
    if expected is not None:
        assert answer.status == expected, (answer.status, answer.body[:300])
    for leak in LEAKS:
        assert leak not in answer.body, (leak, answer.body[:300])
    if answer.status >= 400:
        if target.is_ui and answer.from_django:
            assert_friendly_page(answer)
        else:
            assert_json_error(answer)


def assert_json_error(answer: Answer) -> None:
    assert answer.content_type.startswith("application/json"), (answer.content_type, answer.body)
    assert json.loads(answer.body), answer.body


def assert_friendly_page(answer: Answer) -> None:
    assert answer.content_type.startswith("text/html"), answer.content_type
    assert b'class="site-header"' in answer.body, answer.body[:300]
    assert b"<h1>" in answer.body


@pytest.mark.parametrize("deployable", [t.deployable for t in TARGETS])
def test_the_kubelets_probe_passes_with_tracing_on(deployable):
    # Tracing's middleware reads the Host header; a pod IP must still reach the probe.
    pod_ip = {"Host": "10.42.0.17:8000"}
    url = f"http://127.0.0.1:{port(deployable)}"
    assert requests.get(f"{url}/healthz", headers=pod_ip, timeout=10).status_code == 200
    refused = requests.get(f"{url}/no-such-page", headers=pod_ip, timeout=10)
    assert refused.status_code == 400
    assert "X-Request-Id" in refused.headers


# --- error pages: JSON from an API, the friendly page from the UI -----------------


@pytest.mark.parametrize("origin", ORIGINS)
@pytest.mark.parametrize("deployable", [t.deployable for t in TARGETS if not t.is_ui])
def test_an_apis_404_and_405_are_json_without_a_url_list(deployable, origin):
    base = next(t for t in TARGETS if t.deployable == deployable).base(origin)
    for method, path, status in (
        ("GET", f"/api/v1/{deployable}/no-such-thing", 404),
        ("GET", f"/api/v1/{deployable}/schema/no-such-thing", 404),
        ("POST", f"/api/v1/{deployable}/", 405),  # the index only reads
    ):
        response = requests.request(method, f"{base}{path}", timeout=10)
        assert response.status_code == status, (path, response.status_code)
        assert response.headers["Content-Type"] == "application/json", path
        assert "detail" in response.json()
        assert "/api/v1/" not in response.text, path


def test_the_ui_has_friendly_404_and_400_pages():
    missing = requests.get(f"{GATEWAY}/no-such-page", timeout=10)
    assert missing.status_code == 404
    assert "Page not found" in missing.text
    assert 'class="site-header"' in missing.text
    assert "Using the URLconf" not in missing.text

    refused = requests.get(f"http://127.0.0.1:{port('frontend')}/?q=%00", timeout=10)
    assert refused.status_code == 400
    assert "That request did not work" in refused.text


def test_an_api_path_no_context_serves_is_a_json_404_at_the_gateway():
    response = requests.get(f"{GATEWAY}/api/v1/no-such-context/things", timeout=10)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_debug_is_off_in_every_running_deployable():
    # DEBUG's technical 404 lists the URL patterns; with DEBUG off it is a plain 404.
    for name in SERVICES:
        response = requests.get(
            f"http://127.0.0.1:{port(name)}/no-such-page-{uuid.uuid4().hex}",
            headers={"Accept": "text/html"},
            timeout=10,
        )
        assert response.status_code == 404
        assert "Using the URLconf" not in response.text
        assert "DEBUG = True" not in response.text


# --- the gateway: bodies, internal routes, rate limits -----------------------------


def test_the_gateway_refuses_a_5_mb_body_before_any_deployable_reads_it():
    response = requests.post(
        f"{GATEWAY}/api/v1/listings",
        data=b"x" * FIVE_MB,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large."}
    assert "X-Request-ID" not in response.headers  # nginx answered; listings never saw it


def test_the_gateway_refuses_internal_routes_even_with_a_valid_service_token():
    token = service_token(caller="notifications", callee="accounts")
    path = f"/api/v1/accounts/internal/password-resets/{uuid.uuid4()}/link"
    headers = {"Authorization": f"Bearer {token}"}

    direct = requests.get(f"http://127.0.0.1:{port('accounts')}{path}", headers=headers, timeout=10)
    assert direct.status_code not in (401, 403), direct.text  # the token itself is good
    assert "X-Request-ID" in direct.headers

    variants = (path, path.replace("/internal/", "//internal/"), path.replace("/i", "/%69", 1))
    for variant in variants:
        outside = requests.get(f"{GATEWAY}{variant}", headers=headers, timeout=10)
        assert outside.status_code == 404, variant
        assert outside.json() == {"detail": "Not found."}
        assert "X-Request-ID" not in outside.headers, variant


def service_token(*, caller: str, callee: str) -> str:
    """A service token minted by `caller`'s own deployable, with its own key."""
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from kernel.auth.tokens import ServiceToken;"
            f" print(ServiceToken.for_callee({callee!r}))",
        ],
        cwd=ROOT,
        env={**_environment_without_django(), "HEARTH_SERVICE": caller},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def _environment_without_django() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}}


RATE_LIMITED = [
    "/api/v1/auth/token",
    "/api/v1/auth/token/refresh",
    "/api/v1/accounts/register",
    "/api/v1/accounts/password-reset",
]


@pytest.mark.parametrize("path", RATE_LIMITED)
def test_the_gateway_limits_each_sign_in_route_per_address(path):
    # Empty bodies: accounts answers them at once (400), so the burst arrives together.
    # Burst 10 at 10/s locally (devstack/programs.py): 20 at once overflow it.
    with requests.Session() as http_session:
        answers = [http_session.post(f"{GATEWAY}{path}", json={}, timeout=10) for _ in range(20)]
    gateway_limited = [
        a for a in answers if a.status_code == 429 and "X-Request-ID" not in a.headers
    ]
    try:
        assert gateway_limited, [a.status_code for a in answers]
        refusal = gateway_limited[0]
        assert refusal.headers["Retry-After"] == "1"
        assert refusal.json()["detail"].startswith("Too many requests")
        assert answers[0].status_code != 429  # the first ones pass
    finally:
        time.sleep(2)  # the bucket drains (10 at 10/s): the next tests sign in freely


def test_the_limit_is_per_route_a_flood_of_one_leaves_sign_in_open():
    with requests.Session() as http_session:
        flood = [
            http_session.post(f"{GATEWAY}/api/v1/accounts/password-reset", json={}, timeout=10)
            for _ in range(20)
        ]
        assert any(a.status_code == 429 for a in flood)
        sign_in = http_session.post(f"{GATEWAY}/api/v1/auth/token", json={}, timeout=10)
    assert sign_in.status_code == 400  # reached accounts: its own answer to an empty form
    time.sleep(2)


# --- headers -----------------------------------------------------------------------


def csp(response: requests.Response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {
        directive.split()[0]: directive.split()[1:]
        for directive in (part.strip() for part in policy.split(";"))
        if directive
    }


def test_every_ui_page_has_a_strict_content_security_policy_and_the_usual_headers():
    for path in ("/", "/signin", "/signup", "/no-such-page"):
        response = requests.get(f"{GATEWAY}{path}", timeout=10)
        policy = csp(response)
        assert policy["script-src"] == ["'self'"], path
        assert policy["style-src"] == ["'self'"], path  # no inline style in the UI
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["object-src"] == ["'none'"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        # Locally the gateway is plain HTTP: no HSTS (production: config/tests).
        assert "Strict-Transport-Security" not in response.headers


def test_ui_pages_have_no_inline_script():
    for path in ("/", "/signin", "/signup", "/no-such-page"):
        html = requests.get(f"{GATEWAY}{path}", timeout=10).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\son[a-z]+=", html), path  # no onclick= and the like
        assert " style=" not in html, path


@pytest.mark.parametrize("context", ["accounts", "listings"])
def test_admin_and_api_docs_pages_have_a_policy_without_inline_script(context):
    for path in (f"/admin/{context}/login/", f"/api/v1/{context}/docs/", f"/api/v1/{context}/"):
        response = requests.get(f"{GATEWAY}{path}", headers={"Accept": "text/html"}, timeout=10)
        assert response.status_code == 200, path
        policy = csp(response)
        assert policy["script-src"] == ["'self'"], path
        assert response.headers["X-Frame-Options"] == "DENY"
    docs = requests.get(f"{GATEWAY}/api/v1/{context}/docs/", timeout=10).text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", docs)
    script = re.search(r'<script src="([^"]*\?[^"]*script[^"]*)"', docs).group(1)
    init = requests.get(f"{GATEWAY}{script.replace('&amp;', '&')}", timeout=10)
    assert init.status_code == 200
    assert "SwaggerUIBundle" in init.text


def test_admin_and_swagger_assets_are_served_through_the_gateway_with_debug_off():
    docs = requests.get(f"{GATEWAY}/api/v1/listings/docs/", timeout=10).text
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', docs)
    login = requests.get(f"{GATEWAY}/admin/listings/login/", timeout=10).text
    assets += re.findall(r'(?:href|src)="(/static/[^"]+)"', login)
    assert any("swagger-ui-bundle.js" in a for a in assets)
    assert any("admin/css" in a for a in assets)
    for asset in assets:
        assert requests.get(f"{GATEWAY}{asset}", timeout=10).status_code == 200, asset


def test_signed_in_pages_and_token_answers_are_never_stored():
    email, password = f"store-{uuid.uuid4().hex[:10]}@example.test", "a-long-demo-passphrase"
    Api().register(email=email, password=password, full_name="Nora Nostore", role="renter")
    tokens = requests.post(
        f"{GATEWAY}/api/v1/auth/token", json={"email": email, "password": password}, timeout=10
    )
    assert tokens.headers["Cache-Control"] == "no-store"
    refreshed = requests.post(
        f"{GATEWAY}/api/v1/auth/token/refresh",
        json={"refresh": tokens.json()["refresh"]},
        timeout=10,
    )
    assert refreshed.status_code == 200
    assert refreshed.headers["Cache-Control"] == "no-store"
    me = requests.get(
        f"{GATEWAY}/api/v1/accounts/me",
        headers={"Authorization": f"Bearer {refreshed.json()['access']}"},
        timeout=10,
    )
    assert me.headers["Cache-Control"] == "no-store"

    browser = requests.Session()
    form = browser.get(f"{GATEWAY}/signin", timeout=10)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    browser.post(
        f"{GATEWAY}/signin",
        data={"csrfmiddlewaretoken": csrf, "email": email, "password": password},
        timeout=10,
    )
    assert "hearth_frontend_session" in browser.cookies
    for path in ("/", "/applications", "/notifications"):
        page = browser.get(f"{GATEWAY}{path}", timeout=10)
        assert page.status_code == 200, path
        assert page.headers["Cache-Control"] == "no-store", path

    public = requests.get(f"{GATEWAY}/", timeout=10)
    assert "no-store" not in public.headers.get("Cache-Control", "")


# --- cookies -----------------------------------------------------------------------


@pytest.mark.parametrize("context", ["accounts", "listings", "applications", "notifications"])
def test_each_admin_has_its_own_cookie_names_httponly_and_samesite(context):
    response = requests.get(f"{GATEWAY}/admin/{context}/login/", timeout=10)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"hearth_{context}_csrftoken="), cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP locally; Secure in production (config/tests)


def test_signing_in_to_two_admins_keeps_both_sessions():
    email, password = f"ops-{uuid.uuid4().hex[:8]}@example.test", "an-operations-passphrase"
    create_staff_account(email=email, password=password, full_name="Olga Operations")
    browser = requests.Session()
    for context in ("listings", "applications"):
        login = f"{GATEWAY}/admin/{context}/login/"
        form = browser.get(login, timeout=10)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        signed_in = browser.post(
            login,
            data={
                "csrfmiddlewaretoken": csrf,
                "username": email,
                "password": password,
                "next": f"/admin/{context}/",
            },
            timeout=10,
        )
        assert "Site administration" in signed_in.text, context
    assert {"hearth_listings_session", "hearth_applications_session"} <= set(browser.cookies.keys())
    for context in ("listings", "applications"):  # the second sign-in did not end the first
        index = browser.get(f"{GATEWAY}/admin/{context}/", timeout=10, allow_redirects=False)
        assert index.status_code == 200, context
