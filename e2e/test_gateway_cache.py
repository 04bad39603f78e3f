"""The gateway's micro-cache of anonymous reads (devstack/templates/nginx.conf),
and its admission control: what is cached, what never is, how soon a change
shows, and that a cached page outlives its deployable's outage."""

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from devstack import programs
from devstack.api_client import TARGET, Api
from devstack.supervise import supervisorctl

CACHE = "X-Cache-Status"


def anonymous_get(path: str, **headers: str) -> requests.Response:
    # A fresh session each time: no cookie a previous answer may have set.
    return requests.get(TARGET.url(path), headers=headers, timeout=10)


def until_cached(path: str) -> requests.Response:
    """The path's answer once the gateway serves it from its copy."""
    deadline = time.monotonic() + 10
    while True:
        response = anonymous_get(path)
        if response.headers.get(CACHE) == "HIT" or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


@pytest.fixture
def listing(api: Api) -> tuple[Api, dict]:
    landlord = api.new_user(role="landlord")
    return landlord, landlord.publish(landlord.create_listing()["id"])


def test_anonymous_listing_reads_are_served_from_the_gateways_copy(listing):
    _, published = listing
    for path in (
        f"/api/v1/listings/{published['id']}",
        f"/api/v1/listings?city={published['city']}",
        f"/listings/{published['id']}",
    ):
        assert anonymous_get(path).status_code == 200, path
        cached = until_cached(path)
        assert cached.headers.get(CACHE) == "HIT", path
        again = anonymous_get(path)
        assert (again.headers[CACHE], again.content) == ("HIT", cached.content), path


def test_requests_with_credentials_or_cookies_never_read_or_fill_the_cache(listing):
    landlord, published = listing
    path = f"/api/v1/listings/{published['id']}"
    until_cached(path)
    signed_in = landlord.request("GET", path)
    assert signed_in.status_code == 200
    assert signed_in.headers[CACHE] == "BYPASS"
    assert signed_in.headers["Cache-Control"] == "no-store"
    page = f"/listings/{published['id']}"
    until_cached(page)
    with_cookie = anonymous_get(page, Cookie="hearth_frontend_csrftoken=x")
    assert with_cookie.headers[CACHE] == "BYPASS"


def test_a_page_that_sets_a_cookie_is_never_cached():
    # The sign-in page carries a CSRF token and sets its cookie: it is someone's.
    for _ in range(3):
        page = anonymous_get("/signin")
        assert page.status_code == 200
        assert "Set-Cookie" in page.headers
        assert page.headers.get(CACHE) != "HIT"


def test_a_changed_listing_shows_within_the_caches_lifetime(listing):
    landlord, published = listing
    path = f"/api/v1/listings/{published['id']}"
    until_cached(path)
    landlord.call("PATCH", path, json={"title": "Renamed while cached"})
    changed = time.monotonic()
    while anonymous_get(path).json()["title"] != "Renamed while cached":
        assert time.monotonic() - changed < programs.GATEWAY_CACHE_SECONDS + 3
        time.sleep(0.2)


def test_a_client_holding_the_etag_gets_a_304_from_the_cache(listing):
    _, published = listing
    path = f"/api/v1/listings/{published['id']}"
    etag = until_cached(path).headers["ETag"]
    revalidated = anonymous_get(path, **{"If-None-Match": etag})
    assert revalidated.status_code == 304
    assert revalidated.headers[CACHE] == "HIT"
    assert revalidated.content == b""


@pytest.mark.local_stack(reason="stops listings through supervisord")
def test_a_cached_page_is_served_stale_while_listings_is_down(listing):
    _, published = listing
    path = f"/api/v1/listings/{published['id']}"
    body = until_cached(path).content
    supervisorctl("stop", "apps:listings")
    try:
        time.sleep(programs.GATEWAY_CACHE_SECONDS + 1)  # the copy has expired
        stale = anonymous_get(path)
        assert stale.status_code == 200
        assert stale.headers[CACHE] == "STALE"
        assert stale.content == body
    finally:
        supervisorctl("start", "apps:listings")
    deadline = time.monotonic() + 60
    while anonymous_get("/api/v1/listings/healthz").status_code != 200:
        assert time.monotonic() < deadline, "listings did not come back"
        time.sleep(0.5)


def test_past_its_in_flight_limit_a_deployable_is_refused_fast_with_retry_after():
    # The home page with a cookie: uncached, and a few hundred ms of the front end's
    # time under this load; three times the limit at once must overflow it.
    count = 3 * programs.GATEWAY_INFLIGHT
    start = threading.Barrier(count)

    def one(_: int) -> tuple[requests.Response, float]:
        start.wait()
        began = time.monotonic()
        response = anonymous_get("/?city=Lisbon", Cookie="hearth_frontend_csrftoken=x")
        return response, time.monotonic() - began

    with ThreadPoolExecutor(count) as pool:
        answers = list(pool.map(one, range(count)))
    served = [seconds for response, seconds in answers if response.status_code == 200]
    refused = [(response, seconds) for response, seconds in answers if response.status_code == 503]
    assert len(served) + len(refused) == count, {r.status_code for r, _ in answers}
    assert served
    assert refused
    for response, _ in refused:
        assert response.headers["Retry-After"] == "1"
        assert response.json() == {"detail": "The service is busy. Try again in 1 s."}
    assert statistics.median(s for _, s in refused) < statistics.median(served)
