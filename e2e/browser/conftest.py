"""Browser tests: Playwright driving Debian's Chromium, headless, against the
running platform at its public URL, with axe-core checking accessibility.

The target is the one devstack/api_client.py reads from the environment. For a
cluster behind its Ingress, Chromium is told what the HTTP client is told:
HEARTH_RESOLVE becomes --host-resolver-rules ("MAP hearth.local:30443
127.0.0.1:30443"), so the page's origin stays https://hearth.local:30443, and
HEARTH_CA_BUNDLE is trusted the way Chromium on Linux trusts a local authority:
in the NSS database of its HOME (~/.pki/nssdb), here a throwaway HOME made for the
run with NSS's certutil (Debian: libnss3-tools). Certificate errors are never
ignored: a certificate the bundle does not vouch for, or for another name, fails.
"""

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from devstack.api_client import TARGET
from devstack.layout import ROOT, VAR
from devstack.supervise import supervisorctl

CHROMIUM = "/usr/bin/chromium"
# Offline machine: without these Chromium keeps dialling Google's services.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = ROOT / "devstack" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = VAR / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
# The WCAG 2.0/2.1 A and AA rules: labels, headings, names, contrast and the rest.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)


def host_resolver_rules(resolve: dict[tuple[str, int], str]) -> list[str]:
    """HEARTH_RESOLVE's mapping as Chromium's flag (empty without a mapping)."""
    rules = [
        f"MAP {host}:{port} {f'[{address}]' if ':' in address else address}:{port}"
        for (host, port), address in resolve.items()
    ]
    return [f"--host-resolver-rules={', '.join(rules)}"] if rules else []


def trusting_home(ca_bundle: Path, home: Path) -> Path:
    """A HOME whose NSS database trusts every certificate of the bundle as an
    authority for TLS servers."""
    certutil = shutil.which("certutil")
    if certutil is None:
        pytest.fail(f"trusting {ca_bundle} in Chromium needs certutil (Debian: libnss3-tools)")
    certificates = PEM_CERTIFICATE.findall(ca_bundle.read_text())
    if not certificates:
        pytest.fail(f"{ca_bundle} holds no PEM certificate")
    database = f"sql:{home / '.pki' / 'nssdb'}"
    (home / ".pki" / "nssdb").mkdir(parents=True)
    subprocess.run([certutil, "-N", "-d", database, "--empty-password"], check=True)
    for index, certificate in enumerate(certificates):
        pem = home / f"trusted-{index}.pem"
        pem.write_text(certificate + "\n")
        subprocess.run(
            [certutil, "-A", "-d", database, "-n", f"hearth-{index}", "-t", "C,,", "-i", pem],
            check=True,
        )
    return home


@pytest.fixture(scope="session")
def browser(tmp_path_factory) -> Iterator[Browser]:
    env = dict(os.environ)
    if TARGET.ca_bundle is not None:
        env["HOME"] = str(trusting_home(TARGET.ca_bundle, tmp_path_factory.mktemp("chromium")))
    # Waits for what the page shows (expect's default is 5 s) grow with the target's.
    expect.set_options(timeout=5_000 * TARGET.wait_factor)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[*CHROMIUM_ARGS, *host_resolver_rules(dict(TARGET.resolve))],
            env=env,
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) per test, at a phone-to-laptop width."""
    context = browser.new_context(base_url=TARGET.base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000 * TARGET.wait_factor)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot():
    def take(page: Page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take


@pytest.fixture
def assert_accessible():
    def check(page: Page) -> None:
        # Evaluated through the DevTools protocol: a <script> tag added to the page
        # would be inline script, which the pages' Content-Security-Policy refuses.
        page.evaluate(AXE.read_text())
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
        )
        violations = [
            {
                "rule": violation["id"],
                "impact": violation["impact"],
                "help": violation["help"],
                "nodes": [node["target"] for node in violation["nodes"]][:5],
            }
            for violation in result["violations"]
        ]
        assert violations == [], f"{page.url}:\n{json.dumps(violations, indent=2)}"

    return check


@pytest.fixture
def stopped():
    @contextmanager
    def stop(program: str) -> Iterator[None]:
        """Stop a supervisord program (e.g. "apps:listings") for the block."""
        supervisorctl("stop", program)
        try:
            yield
        finally:
            supervisorctl("start", program)

    return stop
