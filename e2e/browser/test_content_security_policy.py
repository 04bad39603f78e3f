"""The Content-Security-Policy in a real browser: the UI, the admin and Swagger UI
work under it, and Chromium reports no violation on any of them (a blocked script
or style is reported as a `securitypolicyviolation` event)."""

import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from devstack.api_client import Api, create_staff_account

# Added through the DevTools protocol, so the policy under test does not block it.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""
PASSWORD = "a-long-browser-passphrase"


@pytest.fixture
def watched(page: Page) -> Iterator[Page]:
    page.add_init_script(RECORD_VIOLATIONS)
    console = []
    page.on("console", lambda message: console.append(message.text))
    yield page
    refused = [text for text in console if "Content Security Policy" in text]
    assert refused == [], refused


def assert_no_violation(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__cspViolations") == [], page.url


def test_the_ui_runs_under_its_policy_signed_out_and_in(watched: Page):
    for path in ("/", "/signin", "/signup", "/no-such-page"):
        watched.goto(path)
        assert_no_violation(watched)

    renter = Api().new_user(role="renter", password=PASSWORD)
    watched.goto("/signin")
    watched.get_by_label("Email").fill(renter.user["email"])
    watched.get_by_label("Password").fill(PASSWORD)
    watched.get_by_role("button", name="Sign in").click()
    expect(watched.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    for path in ("/", "/applications", "/notifications"):
        watched.goto(path)
        assert_no_violation(watched)


@pytest.mark.parametrize("context", ["listings", "accounts"])
def test_swagger_ui_renders_the_schema_under_the_policy(watched: Page, context):
    watched.goto(f"/api/v1/{context}/docs/")
    # Rendered by Swagger UI's own start-up script, served as a file, not inline.
    expect(watched.locator(".swagger-ui .info .title")).to_contain_text(f"Hearth {context} API")
    expect(watched.locator(".opblock").first).to_be_visible()
    assert_no_violation(watched)


def test_the_admin_works_under_the_policy(watched: Page):
    # A listing of its own to open: a fresh platform (a new cluster) has no other.
    landlord = Api().new_user(role="landlord", name="Lena Listed", password=PASSWORD)
    landlord.create_listing()
    email = f"ops-{uuid.uuid4().hex[:8]}@example.test"
    create_staff_account(email=email, password=PASSWORD, full_name="Olga Operations")
    watched.goto("/admin/listings/login/")
    assert_no_violation(watched)
    watched.get_by_label("Username").fill(email)
    watched.get_by_label("Password").fill(PASSWORD)
    watched.get_by_role("button", name="Log in").click()
    expect(watched.get_by_role("heading", name="Site administration")).to_be_visible()
    assert_no_violation(watched)
    watched.goto("/admin/listings/listings/listing/")  # the changelist: search, filters
    expect(watched.locator("#changelist")).to_be_visible()
    assert_no_violation(watched)
    watched.locator("#result_list tbody a").first.click()  # one listing, read-only
    expect(watched.locator("#content-main")).to_be_visible()
    assert_no_violation(watched)
