"""The web pages in a real browser (Chromium through Playwright), through the
gateway: a renter's and a landlord's journeys, a page with a context down, and
axe-core's WCAG 2 A/AA checks on every main page. Screenshots of the main pages
land in var/test-artifacts/screenshots/.

They run against whatever HEARTH_BASE_URL names (e2e/browser/conftest.py): the
local gateway, or the cluster's Ingress over HTTPS. Only the page with listings
down is local_stack: it stops local programs through supervisord."""

import re
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
import requests
from playwright.sync_api import Page, expect

from devstack.api_client import TARGET, Api

PASSWORD = "a-long-browser-passphrase"
PHONE_WIDTH = 360


def _email(role: str) -> str:
    return f"{role}-{uuid.uuid4().hex[:10]}@example.test"


def _in_days(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


@pytest.fixture
def landlord_api() -> Api:
    return Api().new_user(role="landlord", name="Bruno Browser", password=PASSWORD)


@pytest.fixture
def listing(landlord_api) -> Iterator[dict]:
    """A published listing only this test can find (by its word); out of search after."""
    word = f"zb{uuid.uuid4().hex[:8]}"
    created = landlord_api.create_listing(
        title=f"Courtyard flat {word}",
        city="Porto",
        photos=[
            {"url": "https://img.hearth.example/b/1.jpg", "caption": "Living room with sofa"},
            {"url": "https://img.hearth.example/b/2.jpg", "caption": ""},
        ],
    )
    published = landlord_api.publish(created["id"])
    landlord_api.wait_until_searchable(created["id"], word)
    yield {**published, "word": word}
    landlord_api.request("POST", f"/api/v1/listings/{created['id']}/unpublish")


def _sign_up(page: Page, *, name: str, role_label: str) -> str:
    email = _email("user")
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label(role_label).check()
    page.get_by_role("button", name="Create account").click()
    return email


def _sign_in(page: Page, email: str) -> None:
    page.goto("/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()


def _fits_the_width(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_renter_journey(page: Page, listing, screenshot, assert_accessible):
    # Search, signed out.
    page.goto("/")
    page.get_by_label("Keywords").fill(listing["word"])
    page.get_by_label("City").fill("Porto")
    page.get_by_label("Sort by").select_option(label="Rent: lowest first")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 home found")).to_be_visible()
    screenshot(page, "home-search-results")

    # Open the listing: photos are offline references, shown with their alt text.
    page.get_by_role("link", name=listing["title"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(listing["title"])
    expect(page.get_by_role("img", name="Living room with sofa")).to_have_count(1)
    expect(page.get_by_role("img", name=f"Photo 2 of {listing['title']}")).to_have_count(1)
    screenshot(page, "listing")

    # Sign up as a renter from the listing, and come back to it.
    page.get_by_role("link", name="create a renter account").click()
    _sign_up(page, name="Rosa Renter", role_label="I am looking for a home")
    expect(page).to_have_url(re.compile(f"/listings/{listing['id']}$"))

    # Apply with a move-in date in the past: the API's error shows on the field.
    page.get_by_label("Move-in date").fill("2020-01-01")
    page.get_by_label("Number of occupants").fill("2")
    page.get_by_label("Monthly income").fill("3900")
    page.get_by_label("Message to the landlord").fill("A quiet couple with a cat.")
    page.get_by_role("button", name="Send application").click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_contain_text("The move-in date is in the past.")
    move_in = page.get_by_label("Move-in date")
    expect(move_in).to_have_attribute("aria-invalid", "true")
    expect(move_in).to_have_accessible_description(re.compile("The move-in date is in the past"))
    expect(page.get_by_label("Message to the landlord")).to_have_value("A quiet couple with a cat.")
    screenshot(page, "apply-with-errors")
    assert_accessible(page)

    # Follow the summary's link to the field, fix it, and send.
    summary.get_by_role("link").click()
    expect(move_in).to_be_focused()
    move_in.fill(_in_days(60))
    page.get_by_role("button", name="Send application").click()

    expect(page).to_have_url(re.compile("/applications$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My applications")
    expect(page.get_by_role("status")).to_contain_text(f"Your application for “{listing['title']}”")
    expect(page.get_by_role("link", name=listing["title"])).to_be_visible()
    expect(page.get_by_text("Status: Submitted")).to_be_visible()
    screenshot(page, "my-applications")


def test_landlord_journey(page: Page, screenshot, assert_accessible):
    title = f"Rooftop studio {uuid.uuid4().hex[:8]}"

    page.goto("/signup")
    _sign_up(page, name="Luis Landlord", role_label="I am letting a home")
    expect(page.get_by_role("heading", level=1)).to_have_text("My listings")

    # Create a draft.
    page.get_by_role("link", name="New listing").first.click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill("A studio under the roof, with a terrace.")
    page.get_by_label("Bedrooms").fill("1")
    page.get_by_label("Bathrooms").fill("1")
    page.get_by_label("Area (m²)").fill("38")
    page.get_by_label("Amenities").fill("terrace, lift")
    page.get_by_label("Pets allowed").check()
    page.get_by_label("Available from").fill(_in_days(14))
    page.get_by_label("Street address").fill("9 Roof Street")
    page.get_by_label("Postal code").fill("4000-123")
    page.get_by_label("City").fill("Porto")
    page.get_by_label("Monthly rent").fill("980")
    page.get_by_label("Deposit").fill("1960")
    page.locator("#id_photos-0-url").fill("https://img.hearth.example/b/roof.jpg")
    page.locator("#id_photos-0-caption").fill("The terrace at sunset")
    page.get_by_role("button", name="Save draft").click()

    expect(page.get_by_role("status")).to_contain_text("your draft is saved")
    item = page.get_by_role("listitem").filter(has=page.get_by_role("link", name=title, exact=True))
    expect(item).to_contain_text("Status: Draft")

    # Publish it.
    item.get_by_role("button", name=f"Publish {title}").click()
    expect(page.get_by_role("status")).to_contain_text("is published")
    expect(item).to_contain_text("Status: Published")
    screenshot(page, "landlord-dashboard")
    assert_accessible(page)

    # A renter applies (through the API, to keep this journey the landlord's).
    listing_id = (
        item.get_by_role("link", name=title, exact=True).get_attribute("href").rsplit("/", 1)[1]
    )
    renter = Api().new_user(role="renter", name="Paula Applicant")
    renter.apply(listing_id)

    # The landlord approves it.
    item.get_by_role("link", name=f"Applications for {title}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Applications for {title}")
    expect(page.get_by_role("heading", name="Paula Applicant")).to_be_visible()
    screenshot(page, "applications-received")
    assert_accessible(page)
    page.get_by_role("button", name="Approve Paula Applicant").click()
    expect(page.get_by_role("status")).to_contain_text(
        "You approved the application of Paula Applicant"
    )
    expect(page.get_by_text("Status: Approved")).to_be_visible()
    expect(page.get_by_role("button", name="Approve Paula Applicant")).to_have_count(0)


def test_a_misspelt_search_finds_the_listing_with_counts_beside(page: Page, listing, screenshot):
    page.goto("/")
    page.get_by_label("Keywords").fill(f"Courtyrd flat {listing['word']}")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 home found")).to_be_visible()
    expect(page.get_by_role("link", name=listing["title"])).to_be_visible()
    facets = page.get_by_role("navigation", name="Narrow the search")
    expect(facets.get_by_role("link", name="Porto")).to_be_visible()
    expect(facets.get_by_role("heading", name="Monthly rent")).to_be_visible()
    screenshot(page, "home-search-facets")
    facets.get_by_role("link", name="Porto").click()
    expect(page.get_by_label("City")).to_have_value("Porto")
    expect(page.get_by_role("heading", name="1 home found")).to_be_visible()


@pytest.mark.local_stack(reason="stops the local search program through supervisord")
def test_with_search_down_the_home_page_searches_listings_and_says_so(
    page: Page, listing, stopped, screenshot, assert_accessible
):
    with stopped("apps:search"):
        page.goto(f"/?q={listing['word']}")
        expect(page.get_by_role("status")).to_contain_text("Search is running in a simpler mode")
        expect(page.get_by_role("heading", name="1 home found")).to_be_visible()
        expect(page.get_by_role("link", name=listing["title"])).to_be_visible()
        expect(page.get_by_role("navigation", name="Narrow the search")).to_have_count(0)
        screenshot(page, "home-search-down")
        assert_accessible(page)
    _wait_until_ready("search")


@pytest.mark.local_stack(reason="stops the local search and listings programs through supervisord")
def test_home_page_explains_when_listings_is_down(
    page: Page, stopped, screenshot, assert_accessible
):
    with stopped("apps:search"), stopped("apps:listings"):
        response = page.goto("/?city=Lisbon")
        assert response.status == 503
        expect(page.get_by_role("alert")).to_contain_text(
            "Listings are temporarily unavailable. Please try again in a minute."
        )
        expect(page.get_by_role("search")).to_be_visible()
        expect(page.get_by_label("City")).to_have_value("Lisbon")
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()
        screenshot(page, "home-listings-down")
        assert_accessible(page)
    _wait_until_ready("search")
    _wait_until_ready("listings")


SETTLED_ANSWERS, SETTLED_SECONDS = 5, 0.5


def _wait_until_ready(service: str, timeout: float = 60.0) -> None:
    """Later tests need the context back, and the machine calm again: its readiness
    probe answers, quickly, several times in a row. A restarted gunicorn boots its
    workers after the first answers, and on two cores that burst can hold a later
    test's sign-in past the front end's 2 s timeout."""
    session, deadline = TARGET.session(), time.monotonic() + timeout
    quick = 0
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            ready = session.get(TARGET.url(f"/api/v1/{service}/readyz"), timeout=2).ok
        except (requests.ConnectionError, requests.Timeout):  # still starting
            ready = False
        quick = quick + 1 if ready and time.monotonic() - started < SETTLED_SECONDS else 0
        if quick == SETTLED_ANSWERS:
            return
        time.sleep(0.2)
    pytest.fail(f"{service} did not come back and settle within {timeout} s")


def test_every_main_page_is_accessible(
    page: Page, landlord_api, listing, screenshot, assert_accessible
):
    """axe-core on each main page, as who would see it; each also fits a phone."""
    renter = Api().new_user(role="renter", name="Axel Axe", password=PASSWORD)
    renter.apply(listing["id"])

    def check(path: str, name: str) -> None:
        page.goto(path)
        assert_accessible(page)
        screenshot(page, name)

    check("/", "home")
    check(f"/listings/{listing['id']}", "listing-signed-out")
    check("/signin", "sign-in")
    check("/signup", "sign-up")
    page.get_by_role("button", name="Create account").click()  # nothing filled in
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    assert_accessible(page)
    screenshot(page, "sign-up-with-errors")

    _sign_in(page, renter.user["email"])
    check(f"/listings/{listing['id']}", "listing-applied")
    check("/applications", "my-applications-renter")
    check("/notifications", "notifications")
    check("/landlord", "forbidden")
    page.get_by_role("button", name="Sign out", exact=True).click()

    _sign_in(page, landlord_api.user["email"])
    check("/landlord", "landlord-dashboard-listed")
    check("/landlord/listings/new", "listing-form")
    page.get_by_role("button", name="Save draft").click()  # nothing filled in
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    assert_accessible(page)
    screenshot(page, "listing-form-with-errors")
    check(f"/landlord/listings/{listing['id']}/edit", "listing-edit")
    check(f"/landlord/listings/{listing['id']}/applications", "applications-received-listed")
    check("/applications", "applications-received-all")


def test_pages_fit_a_phone(page: Page, listing, screenshot):
    """Mobile first: at 360 px no page scrolls sideways."""
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 780})
    for path, name in [
        ("/", "phone-home"),
        (f"/listings/{listing['id']}", "phone-listing"),
        ("/signup", "phone-sign-up"),
    ]:
        page.goto(path)
        assert _fits_the_width(page), f"{path} scrolls sideways at {PHONE_WIDTH} px"
        screenshot(page, name)
