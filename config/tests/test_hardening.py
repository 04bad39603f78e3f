"""The hardening settings of every deployable, locally and in production.

Production-only behaviour (HSTS, the HTTPS redirect, Secure cookies) cannot be
seen through the local gateway, which is plain HTTP; here each deployable's
production settings pass `check --deploy` with no warning, and a real gunicorn
running them answers as production would.
"""

import importlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from django.conf import settings

from config.environment import local_env_file, parse_env_file
from config.services import SERVICES

PUBLIC_URL = "https://hearth.example"
# Variables a test run may have that would choose the settings instead of the test.
CHOOSERS = {"DJANGO_SETTINGS_MODULE", "HEARTH_SERVICE", "DJANGO_DEBUG", "HEARTH_ENV"}


def environment(service: str, **values: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if k not in CHOOSERS},
        "HEARTH_SERVICE": service,
        **values,
    }


def production_environment(service: str, **values: str) -> dict[str, str]:
    """What a production pod is given: its own credentials in the environment (here
    the ones generated for the local stack; production never reads that file), the
    public URL, and the other deployables' Service URLs."""
    return environment(
        service,
        **parse_env_file(local_env_file(service)),
        HEARTH_ENV="production",
        HEARTH_PUBLIC_URL=PUBLIC_URL,
        **{f"{name.upper()}_URL": f"http://{name}:8000" for name in SERVICES},
        **values,
    )


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=settings.BASE_DIR,
        check=False,
    )


NAMES = (
    "DEBUG",
    "ALLOWED_HOSTS",
    "SESSION_COOKIE_NAME",
    "CSRF_COOKIE_NAME",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "CSRF_TRUSTED_ORIGINS",
)


def settings_of(env: dict[str, str]) -> dict:
    printed = manage(
        "shell",
        "-c",
        "import json; from django.conf import settings as s;"
        f" print(json.dumps({{n: getattr(s, n) for n in {NAMES!r}}}))",
        env=env,
    )
    assert printed.returncode == 0, printed.stderr
    return json.loads(printed.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("flag", [None, "false", "true"])
def test_debug_is_off_unless_asked_for(flag):
    extra = {} if flag is None else {"DJANGO_DEBUG": flag}
    assert settings_of(environment("listings", **extra))["DEBUG"] is (flag == "true")


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_production_settings_pass_django_deploy_check_with_no_warning(name):
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_environment(name)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_production_cookies_are_secure_and_named_per_deployable(name):
    values = settings_of(production_environment(name))
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_NAME"] == f"hearth_{name}_session"
    assert values["CSRF_COOKIE_NAME"] == f"hearth_{name}_csrftoken"
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert values["CSRF_TRUSTED_ORIGINS"] == [PUBLIC_URL]
    # The public host, and its Service name, which the other deployables call it by.
    assert {"hearth.example", name} <= set(values["ALLOWED_HOSTS"])


def test_locally_cookies_are_not_secure_and_there_is_no_https_redirect():
    values = settings_of(environment("accounts"))
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert {"127.0.0.1", "localhost"} <= set(values["ALLOWED_HOSTS"])
    assert values["CSRF_TRUSTED_ORIGINS"] == ["http://127.0.0.1:8000"]


def test_no_two_deployables_share_a_cookie_name():
    modules = [importlib.import_module(f"config.settings.{name}") for name in SERVICES]
    names = [m.SESSION_COOKIE_NAME for m in modules] + [m.CSRF_COOKIE_NAME for m in modules]
    assert len(set(names)) == 2 * len(SERVICES)


def test_calls_between_deployables_never_go_through_the_gateway():
    # Internal routes are refused at the gateway; a deployable calls another on its own port.
    gateway = urlsplit(settings.HEARTH_PUBLIC_URL)
    for name, url in settings.HEARTH_SERVICE_URLS.items():
        assert urlsplit(url).netloc != gateway.netloc, name
        assert urlsplit(url).port == SERVICES[name].port, name


def test_the_ui_forbids_inline_style_and_the_apis_only_inline_style():
    ui = importlib.import_module("config.settings.frontend").CONTENT_SECURITY_POLICY
    api = importlib.import_module("config.settings.listings").CONTENT_SECURITY_POLICY
    assert ui["DIRECTIVES"]["style-src"] == ["'self'"]
    assert api["DIRECTIVES"]["style-src"] == ["'self'", "'unsafe-inline'"]
    for policy in (ui, api):
        assert policy["DIRECTIVES"]["script-src"] == ["'self'"]


# --- a real gunicorn on production settings ------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module", params=["frontend", "listings"])
def production_server(request, tmp_path_factory) -> Iterator[tuple[str, str]]:
    name, port = request.param, _free_port()
    log = tmp_path_factory.mktemp("gunicorn") / f"{name}.log"
    process = subprocess.Popen(
        [
            *(str(settings.BASE_DIR / ".venv" / "bin" / "gunicorn"), "config.wsgi:application"),
            *("-c", "config/gunicorn_conf.py", "--bind", f"127.0.0.1:{port}", "--workers", "1"),
        ],
        cwd=settings.BASE_DIR,
        env=production_environment(name),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60  # a busy two-core machine
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=1)
                break
            except (requests.ConnectionError, requests.Timeout):  # its worker still booting
                assert process.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.2)
        yield name, base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _get(base: str, path: str, *, proto: str | None, host: str = "hearth.example"):
    headers = {"Host": host}
    if proto:
        headers["X-Forwarded-Proto"] = proto
    return requests.get(f"{base}{path}", headers=headers, timeout=10, allow_redirects=False)


def test_production_probes_answer_the_kubelet_at_the_pod_ip_without_a_redirect(
    production_server,
):
    _, base = production_server
    for path in ("/healthz", "/readyz"):
        response = _get(base, path, proto=None, host="10.42.0.17:8000")
        assert response.status_code in (200, 503), path  # answered, not redirected or refused
        assert response.json()["status"]


def test_production_redirects_plain_http_pages_to_https_with_hsts(production_server):
    name, base = production_server
    page = "/signin" if name == "frontend" else f"/admin/{name}/login/"
    redirect = _get(base, page, proto="http")
    assert redirect.status_code == 301
    assert redirect.headers["Location"] == f"https://hearth.example{page}"

    secure = _get(base, page, proto="https")
    assert secure.status_code == 200
    hsts = secure.headers["Strict-Transport-Security"]
    assert hsts == "max-age=31536000; includeSubDomains; preload"
    cookie = secure.headers["Set-Cookie"]
    assert cookie.startswith(f"hearth_{name}_csrftoken=")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert flag in cookie


@pytest.mark.parametrize("production_server", ["listings"], indirect=True)
def test_production_never_redirects_the_api_or_a_call_from_inside_the_cluster(production_server):
    name, base = production_server
    # Another deployable's call: plain HTTP to the Service name, no X-Forwarded-Proto.
    in_cluster = _get(base, f"/api/v1/{name}/", proto=None, host=f"{name}:8000")
    assert in_cluster.status_code == 200
    through_the_edge = _get(base, f"/api/v1/{name}/", proto="http")
    assert through_the_edge.status_code == 200


def test_production_refuses_a_host_that_is_not_ours(production_server):
    _, base = production_server
    response = _get(base, "/", proto="https", host="evil.example")
    assert response.status_code == 400
    assert b"evil.example" not in response.content
