"""The pages, through Django's test client, against the running platform: every
call a page makes goes to the real deployables (`make up`). Each test makes its
own users, so tests do not depend on each other or on the demo data."""

import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from django.test import Client

from devstack.api_client import Api
from frontend.api import PAGE_TIMEOUT, credentials
from frontend.api import api as api_client
from kernel.http import breaker

PASSWORD = "a-long-test-passphrase"
NOT_OPEN_YET = "There is no published listing with this id."


@pytest.fixture(scope="module", autouse=True)
def platform_is_up():
    try:
        Api().call("GET", "/api/v1/accounts/readyz")
    except Exception as error:
        pytest.fail(f"the platform is not running ({error}); run `make up`")


def _email(role: str) -> str:
    return f"{role}-{uuid.uuid4().hex[:10]}@example.test"


def _sign_up(client: Client, role: str, name: str = "") -> str:
    email = _email(role)
    response = client.post(
        "/signup",
        {
            "full_name": name or f"Page {role.title()}",
            "email": email,
            "password": PASSWORD,
            "role": role,
        },
    )
    assert response.status_code == 302, response.content.decode()
    return email


@pytest.fixture
def renter(client) -> Client:
    _sign_up(client, "renter", "Rita Renter")
    return client


@pytest.fixture
def landlord(client) -> Client:
    _sign_up(client, "landlord", "Lars Landlord")
    return client


@pytest.fixture
def landlord_api() -> Api:
    return Api().new_user(role="landlord", name="Api Landlord", password=PASSWORD)


@pytest.fixture
def listing(landlord_api) -> Iterator[dict]:
    """A published listing with a word no other listing has, to find it by; out of
    search again afterwards, so tests do not crowd the demo's search pages."""
    word = f"zq{uuid.uuid4().hex[:8]}"
    listing = landlord_api.create_listing(
        title=f"Garden flat {word}",
        city="Porto",
        bedrooms=3,
        photos=[{"url": "https://img.hearth.example/t/1.jpg", "caption": "Sunny kitchen"}],
    )
    published = landlord_api.publish(listing["id"])
    landlord_api.wait_until_searchable(listing["id"], word)
    yield {**published, "word": word}
    landlord_api.request("POST", f"/api/v1/listings/{listing['id']}/unpublish")


def _apply_form(**overrides) -> dict:
    return {
        "move_in_date": (date.today() + timedelta(days=60)).isoformat(),
        "occupants": "2",
        "income_amount": "4200.00",
        "income_currency": "EUR",
        "message": "Two adults, quiet, long stay.",
        **overrides,
    }


def _apply(client: Client, listing_id: str, **overrides):
    """Apply through the page; retried while the listing's publication is on its way
    to applications (eventual consistency, a few milliseconds)."""
    deadline = time.monotonic() + 10
    while True:
        response = client.post(f"/listings/{listing_id}/apply", _apply_form(**overrides))
        if NOT_OPEN_YET not in response.content.decode() or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


def _text(response) -> str:
    return response.content.decode()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # free once closed: nothing listens there


def _fresh_clients() -> None:
    api_client.cache_clear()
    credentials.cache_clear()
    breaker.cache_clear()


@pytest.fixture
def down(settings):
    """Make a context unreachable for the pages: its URL points at a closed port."""

    def stop(service: str) -> None:
        settings.HEARTH_SERVICE_URLS = {
            **settings.HEARTH_SERVICE_URLS,
            service: f"http://127.0.0.1:{_closed_port()}",
        }
        _fresh_clients()

    yield stop
    _fresh_clients()


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            target.sendall(chunk)
    except OSError:
        pass
    finally:
        target.close()


def _delaying_proxy(upstream: tuple[str, int], delay: float) -> socket.socket:
    """A TCP proxy to the real deployable that holds each connection's first bytes
    for `delay` seconds: a context that is up, but slow to answer."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                downstream, _ = listener.accept()
            except OSError:
                return  # the listener was closed: the test is over
            first = downstream.recv(65536)
            time.sleep(delay)
            server = socket.create_connection(upstream)
            server.sendall(first)
            threading.Thread(target=_pipe, args=(server, downstream), daemon=True).start()
            threading.Thread(target=_pipe, args=(downstream, server), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return listener


@pytest.fixture
def slow(settings):
    """Make a context answer `delay` seconds late: its URL points at a delaying proxy."""
    listeners = []

    def delay(service: str, seconds: float) -> None:
        url = settings.HEARTH_SERVICE_URLS[service]
        host, port = url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)
        listener = _delaying_proxy((host, int(port)), seconds)
        listeners.append(listener)
        settings.HEARTH_SERVICE_URLS = {
            **settings.HEARTH_SERVICE_URLS,
            service: f"http://127.0.0.1:{listener.getsockname()[1]}",
        }
        _fresh_clients()

    yield delay
    for listener in listeners:
        listener.close()
    _fresh_clients()


# --- signing up, in and out ---


def test_sign_up_signs_in_and_sign_out_ends_the_session(client):
    _sign_up(client, "renter", "Sofia Signup")
    home = client.get("/")
    assert "Sofia Signup" in _text(home)
    assert 'href="/applications"' in _text(home)

    response = client.post("/signout")
    assert response.status_code == 302
    assert "You are signed out." in _text(client.get("/"))
    assert client.get("/applications").status_code == 302


def test_sign_out_everywhere_ends_the_session_in_every_browser(client):
    email = _sign_up(client, "renter", "Eve Everywhere")
    other_browser = Client()
    assert other_browser.post("/signin", {"email": email, "password": PASSWORD}).status_code == 302
    assert other_browser.get("/applications").status_code == 200
    assert 'formaction="/signout/everywhere"' in _text(client.get("/"))

    response = client.post("/signout/everywhere")
    assert (response.status_code, response["Location"]) == (302, "/")
    assert "You are signed out on every device." in _text(client.get("/"))
    assert client.get("/applications").status_code == 302

    # The other browser's session still looks valid to the front end; the API's 401
    # ends it and sends the user to sign in.
    deadline = time.monotonic() + 5
    while (page := other_browser.get("/applications")).status_code == 200:
        assert time.monotonic() < deadline, "the other browser is still signed in after 5 s"
        time.sleep(0.1)
    assert page.status_code == 302
    assert page["Location"].startswith("/signin")
    assert "Your session has ended" in _text(other_browser.get(page["Location"]))
    assert other_browser.get("/applications").status_code == 302  # the session is gone


def test_sign_in_goes_to_next_and_a_landlord_starts_on_the_dashboard(client):
    email = _email("landlord")
    Api().register(email=email, password=PASSWORD, full_name="Nina Next", role="landlord")
    response = client.post("/signin", {"email": email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/landlord"

    client.post("/signout")
    response = client.post(
        "/signin", {"email": email, "password": PASSWORD, "next": "/notifications"}
    )
    assert response["Location"] == "/notifications"


def test_a_sign_in_waits_for_a_password_check_slower_than_a_pages_read(client, slow):
    """A busy accounts pod hashes a password in seconds: the visitor is signed in,
    not told that accounts is unavailable."""
    email = _email("renter")
    Api().register(email=email, password=PASSWORD, full_name="Pat Patient", role="renter")
    slow("accounts", PAGE_TIMEOUT[1] + 1.0)
    response = client.post("/signin", {"email": email, "password": PASSWORD})
    assert response.status_code == 302, _text(response)
    assert response["Location"] == "/"


def test_sign_in_never_redirects_off_site(client):
    email = _email("renter")
    Api().register(email=email, password=PASSWORD, full_name="Ola Offsite", role="renter")
    response = client.post(
        "/signin", {"email": email, "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_a_wrong_password_is_a_clear_error(client):
    response = client.post("/signin", {"email": _email("renter"), "password": "not-it-at-all"})
    assert response.status_code == 200
    assert "The email address or password is not right." in _text(response)
    assert 'role="alert"' in _text(response)


def test_sign_up_shows_the_apis_field_errors_on_the_fields(client):
    response = client.post(
        "/signup",
        {"full_name": "Short Pass", "email": _email("renter"), "password": "abc", "role": "renter"},
    )
    page = _text(response)
    assert response.status_code == 200
    assert "This password is too short" in page
    # the message is under the field and the field points at it
    assert 'id="id_password_error"' in page
    assert re.search(
        r'<input[^>]*aria-invalid="true"[^>]*aria-describedby="[^"]*id_password_error', page
    )
    assert '<a href="#id_password">Password: This password is too short' in page


def test_the_same_email_cannot_sign_up_twice_and_the_page_does_not_say_why(client):
    email = _email("renter")
    Api().register(email=email, password=PASSWORD, full_name="First One", role="renter")
    response = client.post(
        "/signup",
        {"full_name": "Second", "email": email, "password": "another-passphrase", "role": "renter"},
    )
    assert response.status_code == 200
    assert "We could not sign you in with this email and password." in _text(response)
    assert "exists" not in _text(response)
    assert client.get("/applications").status_code == 302  # not signed in


# --- forgotten passwords (the emailed link's whole journey: e2e/test_security_accounts.py) ---


def test_sign_in_links_to_the_forgotten_password_page(client):
    assert 'href="/forgot-password"' in _text(client.get("/signin"))


def test_asking_for_a_reset_link_looks_the_same_for_any_address(client):
    email = _email("renter")
    Api().register(email=email, password=PASSWORD, full_name="Fay Forgetful", role="renter")
    pages = [client.post("/forgot-password", {"email": e}) for e in (email, _email("nobody"))]
    for response in pages:
        assert response.status_code == 200
        assert "Check your email" in _text(response)
    bad = client.post("/forgot-password", {"email": "not-an-email"})
    assert "Enter a valid email address." in _text(bad)


def test_the_reset_page_keeps_the_token_out_of_its_urls_and_referers(client):
    page = client.get("/reset-password", {"token": "some-token.value"})
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "no-referrer"
    assert "no-store" in page["Cache-Control"]
    html = _text(page)
    assert '<input type="hidden" name="token" value="some-token.value"' in html
    assert 'action="/reset-password"' in html  # posts to a URL without the token
    assert "<script" not in html


def test_the_reset_page_shows_field_errors_and_refuses_a_bad_link(client):
    mismatch = client.post(
        "/reset-password",
        {"token": "x.y", "new_password": PASSWORD, "new_password_again": "something-else"},
    )
    assert "The two passwords are not the same." in _text(mismatch)
    assert 'id="id_new_password_again_error"' in _text(mismatch)
    forged = client.post(
        "/reset-password",
        {"token": "x.y", "new_password": PASSWORD, "new_password_again": PASSWORD},
    )
    assert "This reset link has expired or was already used." in _text(forged)
    assert 'href="/forgot-password"' in _text(forged)
    assert "This reset link has expired" in _text(client.get("/reset-password"))  # no token


# --- search and listings ---


def test_search_with_filters_finds_the_listing(client, listing):
    word = listing["word"]
    query = {"q": word, "city": "porto", "bedrooms": "2", "max_rent": "2000"}
    found = client.get("/", query)
    assert found.status_code == 200
    assert "1 home found" in _text(found)
    assert listing["title"] in _text(found)
    assert f'href="/listings/{listing["id"]}"' in _text(found)
    assert 'alt="Sunny kitchen"' in _text(found)

    too_cheap = client.get("/", {"q": word, "max_rent": "1000"})
    assert "0 homes found" in _text(too_cheap)
    assert listing["title"] not in _text(too_cheap)


def test_a_misspelt_search_finds_the_listing_and_counts_by_city_and_rent(client, listing):
    misspelt = f"Gardn flat {listing['word']}"
    found = client.get("/", {"q": misspelt})
    page = _text(found)
    assert "1 home found" in page, page
    assert listing["title"] in page
    assert '<nav class="facets" aria-label="Narrow the search">' in page
    city = re.search(r'<a href="([^"]+)">Porto</a> <span class="facets__count">(\d+)</span>', page)
    assert city, page
    assert city.group(2) == "1"
    assert "city=Porto" in city.group(1)
    assert "gardn" in city.group(1).lower()
    # The rent bucket's link narrows to its bounds: 1,450 is in 1,000 to 1,500.
    rent = re.search(r'<a href="([^"]+)">1,000 to 1,500</a> <span class="facets__count">1<', page)
    assert rent, page
    assert "min_rent=1000.00" in rent.group(1)
    assert "max_rent=1499.99" in rent.group(1)
    assert "simpler mode" not in page


def test_with_search_down_home_falls_back_to_listings_and_says_so(client, listing, down):
    down("search")
    response = client.get("/", {"q": listing["word"]})
    page = _text(response)
    assert response.status_code == 200
    assert "Search is running in a simpler mode" in page
    assert "1 home found" in page
    assert listing["title"] in page
    assert 'class="facets"' not in page
    misspelt = _text(client.get("/", {"q": f"Gardn {listing['word'][:-1]}"}))
    assert "0 homes found" in misspelt  # no typo tolerance without search


def test_search_shows_the_apis_filter_errors(client):
    response = client.get("/", {"min_rent": "2000", "max_rent": "1000"})
    assert "Must not be below min_rent." in _text(response)
    assert 'aria-describedby="id_max_rent_error"' in _text(response)


def test_search_pages_through_results(client):
    first = client.get("/")
    match = re.search(r"Page 1 of (\d+)", _text(first))
    assert match, "the demo data fills more than one page"
    assert 'href="?page=2"' in _text(first)
    second = client.get("/", {"page": "2", "ordering": "rent"})
    assert f"Page 2 of {match.group(1)}" in _text(second)
    assert 'href="?page=1&amp;ordering=rent"' in _text(second)


def test_the_listing_page_shows_every_detail(client, listing):
    response = client.get(f"/listings/{listing['id']}")
    page = _text(response)
    assert response.status_code == 200
    assert f"<h1>{listing['title']}</h1>" in page
    for text in ("€1,450", "€2,900", "74.5 m²", "balcony, dishwasher", "12 Rose Lane", "Allowed"):
        assert text in page
    assert 'alt="Sunny kitchen"' in page
    assert "Sign in</a> or" in page  # anonymous: asked to sign in to apply


def test_an_unknown_listing_is_a_friendly_404(client):
    response = client.get(f"/listings/{uuid.uuid4()}")
    assert response.status_code == 404
    assert "Page not found" in _text(response)


# --- applying ---


def test_apply_shows_the_apis_error_inline_then_succeeds(renter, listing):
    bad = _apply(renter, listing["id"], move_in_date="2020-01-01")
    page = _text(bad)
    assert bad.status_code == 200
    assert "The move-in date is in the past." in page
    assert 'id="id_move_in_date_error"' in page
    assert "Two adults, quiet, long stay." in page  # the answers are kept

    good = _apply(renter, listing["id"])
    assert good.status_code == 302
    assert good["Location"] == "/applications"
    mine = _text(renter.get("/applications"))
    assert f"Your application for “{listing['title']}” is sent." in mine
    assert listing["title"] in mine
    assert "Submitted" in mine

    # the listing page now says so instead of offering the form again
    again = _text(renter.get(f"/listings/{listing['id']}"))
    assert "Your application is submitted." in again


def test_applying_twice_is_a_clear_error(renter, listing):
    assert _apply(renter, listing["id"]).status_code == 302
    twice = _apply(renter, listing["id"])
    assert "You already have an active application for this listing." in _text(twice)
    assert 'role="alert"' in _text(twice)


def test_income_errors_land_on_the_income_field(renter, listing):
    response = _apply(renter, listing["id"], income_amount="-5")
    assert 'id="id_income_amount_error"' in _text(response)


# --- landlords ---


def _listing_form(**overrides) -> dict:
    return {
        "title": f"Loft {uuid.uuid4().hex[:8]}",
        "description": "Bright, quiet, near the river.",
        "street_address": "3 River Road",
        "city": "Lisbon",
        "postal_code": "1100-002",
        "country": "pt",
        "latitude": "",
        "longitude": "",
        "rent_amount": "1200",
        "deposit_amount": "2400",
        "currency": "EUR",
        "bedrooms": "2",
        "bathrooms": "1.5",
        "area_sqm": "",
        "amenities": "lift, balcony",
        "pets_allowed": "on",
        "available_from": (date.today() + timedelta(days=20)).isoformat(),
        "photos-TOTAL_FORMS": "2",
        "photos-INITIAL_FORMS": "0",
        "photos-MIN_NUM_FORMS": "0",
        "photos-MAX_NUM_FORMS": "30",
        "photos-0-url": "https://img.hearth.example/t/loft.jpg",
        "photos-0-caption": "Living room of the loft",
        "photos-1-url": "",
        "photos-1-caption": "",
        **overrides,
    }


def _my_listing(client: Client, title: str) -> str:
    dashboard = _text(client.get("/landlord"))
    match = re.search(rf'href="/listings/([0-9a-f-]+)">{re.escape(title)}</a>', dashboard)
    assert match, f"{title} is not on the dashboard"
    return match.group(1)


def test_a_landlord_creates_publishes_and_approves(landlord):
    form = _listing_form()
    created = landlord.post("/landlord/listings/new", form)
    assert created.status_code == 302
    assert created["Location"] == "/landlord"
    dashboard = _text(landlord.get("/landlord"))
    assert f"“{form['title']}”: your draft is saved." in dashboard
    listing_id = _my_listing(landlord, form["title"])
    assert "Draft" in dashboard

    published = landlord.post(f"/landlord/listings/{listing_id}/publish", follow=True)
    assert "is published: renters can find it now." in _text(published)
    assert f'action="/landlord/listings/{listing_id}/unpublish"' in _text(published)

    renter = Client()
    _sign_up(renter, "renter", "Ana Applicant")
    assert _apply(renter, listing_id).status_code == 302

    received = _text(landlord.get(f"/landlord/listings/{listing_id}/applications"))
    assert f"Applications for {form['title']}" in received
    assert "Ana Applicant" in received
    application_id = re.search(r'action="/applications/([0-9a-f-]+)/approve"', received).group(1)

    approved = landlord.post(
        f"/applications/{application_id}/approve",
        {"next": f"/landlord/listings/{listing_id}/applications"},
        follow=True,
    )
    page = _text(approved)
    assert "You approved the application of Ana Applicant" in page
    assert "Approved" in page
    assert f'action="/applications/{application_id}/approve"' not in page

    assert "Approved" in _text(renter.get("/applications"))


def test_the_listing_form_shows_the_apis_errors_on_its_fields(landlord):
    response = landlord.post(
        "/landlord/listings/new",
        _listing_form(country="XX", deposit_amount="99999", **{"photos-1-caption": "No url"}),
    )
    page = _text(response)
    assert response.status_code == 200
    # the photo row's own check, before the API is asked
    assert "Add the web address of the photo, or clear its caption." in page
    assert "Photo 2, web address: Add the web address" in page

    response = landlord.post("/landlord/listings/new", _listing_form(country="XX"))
    page = _text(response)
    assert "Enter an ISO 3166-1 alpha-2 country code" in page
    assert 'id="id_country_error"' in page

    response = landlord.post("/landlord/listings/new", _listing_form(deposit_amount="99999"))
    assert "The deposit may be at most 12 months" in _text(response)
    assert 'id="id_deposit_amount_error"' in _text(response)


def test_a_landlord_edits_a_listing(landlord):
    form = _listing_form()
    landlord.post("/landlord/listings/new", form)
    listing_id = _my_listing(landlord, form["title"])

    edit = _text(landlord.get(f"/landlord/listings/{listing_id}/edit"))
    assert f'value="{form["title"]}"' in edit
    assert 'value="lift, balcony"' in edit
    assert 'value="https://img.hearth.example/t/loft.jpg"' in edit

    changed = landlord.post(
        f"/landlord/listings/{listing_id}/edit",
        _listing_form(title=form["title"] + " renovated", **{"photos-INITIAL_FORMS": "1"}),
    )
    assert changed.status_code == 302
    assert "renovated" in _text(landlord.get(f"/listings/{listing_id}"))


# --- who may see what ---


def test_the_wrong_role_gets_a_friendly_403(renter, listing):
    response = renter.get("/landlord")
    assert response.status_code == 403
    assert "This page is for landlords." in _text(response)
    assert 'href="/applications"' in _text(response)  # still the site's navigation


def test_a_landlord_cannot_apply(landlord, listing):
    response = landlord.post(f"/listings/{listing['id']}/apply", _apply_form())
    assert response.status_code == 403
    assert "This page is for renters." in _text(response)


def test_signed_out_visitors_are_sent_to_sign_in_and_back(client):
    response = client.get("/landlord/listings/new")
    assert response.status_code == 302
    assert response["Location"] == "/signin?next=%2Flandlord%2Flistings%2Fnew"
    assert client.get("/notifications")["Location"] == "/signin?next=%2Fnotifications"


def test_forms_need_the_csrf_token():
    browser = Client(enforce_csrf_checks=True)
    email = _email("renter")
    Api().register(email=email, password=PASSWORD, full_name="Carla Csrf", role="renter")

    forged = browser.post("/signin", {"email": email, "password": PASSWORD})
    assert forged.status_code == 403
    assert "This form has expired" in _text(forged)

    page = _text(browser.get("/signin"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    signed_in = browser.post(
        "/signin", {"email": email, "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert signed_in.status_code == 302


def test_notifications_show_the_welcome_email_and_its_delivery(renter):
    deadline = time.monotonic() + 15
    while "Welcome" not in (page := _text(renter.get("/notifications"))):
        assert time.monotonic() < deadline, page
        time.sleep(0.2)
    assert re.search(r"badge--(pending|sent)", page)


# --- when a context is down ---


def test_with_search_and_listings_down_home_still_renders_the_search_form(client, down):
    down("search")
    down("listings")
    response = client.get("/", {"city": "Lisbon"})
    page = _text(response)
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert "Listings are temporarily unavailable. Please try again in a minute." in page
    assert '<form class="search"' in page
    assert 'value="Lisbon"' in page
    assert '<nav class="site-nav"' in page


def test_with_listings_down_a_listing_page_explains(client, down):
    down("listings")
    response = client.get(f"/listings/{uuid.uuid4()}")
    assert response.status_code == 503
    assert "Listings are temporarily unavailable." in _text(response)
    assert "<h1>Temporarily unavailable</h1>" in _text(response)


def test_with_applications_down_my_applications_explains(renter, down):
    down("applications")
    response = renter.get("/applications")
    assert response.status_code == 503
    assert "<h1>My applications</h1>" in _text(response)
    assert "Applications are temporarily unavailable." in _text(response)


def test_with_applications_down_an_application_keeps_its_answers(renter, listing, down):
    down("applications")
    response = renter.post(f"/listings/{listing['id']}/apply", _apply_form())
    assert response.status_code == 503
    assert "Applications are temporarily unavailable." in _text(response)
    assert "Two adults, quiet, long stay." in _text(response)


def test_with_accounts_down_sign_in_explains(client, down):
    down("accounts")
    response = client.post("/signin", {"email": _email("renter"), "password": PASSWORD})
    assert response.status_code == 503
    assert "Signing in and accounts are temporarily unavailable." in _text(response)
