"""Browser tests: Playwright driving Debian's Chromium, headless, against the
running platform through the gateway, with axe-core checking accessibility."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from devstack.api_client import GATEWAY
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


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) per test, at a phone-to-laptop width."""
    context = browser.new_context(base_url=GATEWAY, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
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
