"""A landlord uploads a photo in the browser with the plain multipart form (no
JavaScript involved in sending it), the worker makes its variants, and the listing
page shows them with srcset and sizes, served by the gateway from object storage
with a year-long immutable cache. Screenshots of the home page and of the listing
page, at desktop and phone widths, are kept in docs/images/ for the docs."""

import re
import time
import uuid

import pytest
from playwright.sync_api import Page, expect

from devstack.api_client import TARGET, Api
from devstack.demo_photos import demo_photo
from devstack.layout import ROOT

PASSWORD = "a-long-browser-passphrase"
DOCS_IMAGES = ROOT / "docs" / "images"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def landlord() -> Api:
    return Api().new_user(role="landlord", name="Paula Photos", password=PASSWORD)


@pytest.fixture
def listing(landlord):
    word = f"zp{uuid.uuid4().hex[:8]}"
    created = landlord.create_listing(title=f"Sunny attic {word}", city="Porto", photos=[])
    yield landlord.publish(created["id"])
    landlord.request("POST", f"/api/v1/listings/{created['id']}/unpublish")


def _keep(page: Page, name: str) -> None:
    DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=DOCS_IMAGES / f"{name}.png", full_page=False)


def test_landlord_uploads_a_photo_and_renters_see_its_variants(
    page: Page, landlord, listing, tmp_path, assert_accessible
):
    photo = tmp_path / "attic.jpg"
    photo.write_bytes(demo_photo(7, "room"))
    page.goto("/signin")
    page.get_by_label("Email").fill(landlord.user["email"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()

    page.goto("/landlord")
    page.get_by_role("link", name=f"Photos of {listing['title']}").click()
    assert_accessible(page)
    page.get_by_label("Photo", exact=True).set_input_files(photo)
    page.get_by_label("Caption").fill("Attic bedroom under the eaves")
    page.get_by_role("button", name="Upload photo").click()
    expect(page.get_by_text("Your photo is uploaded")).to_be_visible()

    # Processing is off the request path: the listing shows the photo once it is done.
    deadline = time.monotonic() + 30 * TARGET.wait_factor
    image = page.locator(".gallery img")
    while True:
        page.goto(f"/listings/{listing['id']}")
        if image.count() or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    expect(image).to_have_count(1)
    expect(image).to_have_attribute("alt", "Attic bedroom under the eaves")
    srcset = image.get_attribute("srcset")
    widths = [int(w) for w in re.findall(r" (\d+)w", srcset)]
    assert widths == [320, 640, 1280]  # full is at most 1600: a 1280 px photo is not enlarged
    assert image.get_attribute("sizes")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    assert_accessible(page)
    _keep(page, "listing")

    media = TARGET.session()  # the target's addresses and CA, as the browser has them
    for url in srcset.replace(",", " ").split()[::2]:
        served = media.get(url, timeout=10)
        assert served.status_code == 200
        assert served.headers["Content-Type"] == "image/webp"
        assert "immutable" in served.headers["Cache-Control"]
        assert served.content[:4] == b"RIFF"

    page.set_viewport_size(PHONE)
    page.goto(f"/listings/{listing['id']}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _keep(page, "listing-phone")

    # The home page's cards load lazily. (Their srcset comes with the results' `images`:
    # the search deployable's results carry them once it indexes the photo events.)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/")
    cards = page.locator(".card__photo img")
    expect(cards.first).to_be_attached()
    assert all(img.get_attribute("loading") == "lazy" for img in cards.all())
    _keep(page, "home")
    page.set_viewport_size(PHONE)
    page.goto("/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _keep(page, "home-phone")
