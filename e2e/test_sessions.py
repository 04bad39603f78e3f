"""Sessions end when they should, across the running platform: after sign-out,
"sign out everywhere", a reused refresh token or a password reset, the old access
token is refused by accounts, listings and applications within seconds, each
checking it locally against its own Redis (kernel.auth.revocation)."""

import logging
import re
import time

import pytest

from devstack.api_client import Api, Mailbox

# Where each deployable checks the token: accounts, listings, applications.
CHECKED_BY = {
    "accounts": "/api/v1/accounts/me",
    "listings": "/api/v1/listings/mine",
    "applications": "/api/v1/applications",
}
WITHIN_SECONDS = 5.0

logger = logging.getLogger(__name__)


def refused_everywhere(session: Api, since: float) -> dict[str, float]:
    """Poll each deployable until it refuses `session`'s access token; the delay each
    took, counted from `since`. Fails if one still accepts it after WITHIN_SECONDS."""
    delays = {}
    for name, path in CHECKED_BY.items():
        while True:
            status = session.request("GET", path).status_code
            elapsed = time.monotonic() - since
            if status == 401:
                delays[name] = round(elapsed, 3)
                break
            assert status == 200, f"{name} answered {status}"
            assert elapsed < WITHIN_SECONDS, f"{name} still accepts the token after {elapsed:.1f} s"
            time.sleep(0.05)
    logger.info("old access token refused after (s): %s", delays)
    return delays


def accepted_everywhere(session: Api) -> None:
    for name, path in CHECKED_BY.items():
        assert session.request("GET", path).status_code == 200, name


def refresh(session: Api):
    return session.request("POST", "/api/v1/auth/token/refresh", json={"refresh": session.refresh})


@pytest.fixture
def landlord(api: Api) -> Api:
    return api.new_user(role="landlord", password="a-session-e2e-passphrase")


def second_sign_in(api: Api, user: Api, password: str = "a-session-e2e-passphrase") -> Api:
    return api.sign_in(email=user.user["email"], password=password)


def test_after_sign_out_the_old_access_token_is_refused_everywhere(api, landlord):
    other_device = second_sign_in(api, landlord)
    accepted_everywhere(landlord)
    started = time.monotonic()
    landlord.call("POST", "/api/v1/auth/logout", json={"refresh": landlord.refresh}, expect=204)
    refused_everywhere(landlord, started)
    assert refresh(landlord).status_code == 401
    accepted_everywhere(other_device)  # only that session ended


def test_sign_out_everywhere_ends_every_session_everywhere(api, landlord):
    other_device = second_sign_in(api, landlord)
    started = time.monotonic()
    landlord.call("POST", "/api/v1/auth/logout-everywhere", expect=204)
    refused_everywhere(landlord, started)
    refused_everywhere(other_device, started)
    assert refresh(other_device).status_code == 401
    accepted_everywhere(second_sign_in(api, landlord))  # signing in again works at once


def test_reusing_a_refresh_token_ends_its_sibling_everywhere(api, landlord):
    stolen_refresh = landlord.refresh
    rotated = refresh(landlord).json()  # the owner rotates; the thief kept the old one
    sibling = Api(access=rotated["access"], refresh=rotated["refresh"])
    accepted_everywhere(sibling)
    started = time.monotonic()
    reused = landlord.request(
        "POST", "/api/v1/auth/token/refresh", json={"refresh": stolen_refresh}
    )
    assert reused.status_code == 401
    refused_everywhere(sibling, started)
    assert refresh(sibling).status_code == 401


def test_a_password_reset_ends_older_sessions_everywhere(api, landlord, mailbox: Mailbox):
    email = landlord.user["email"]
    api.call("POST", "/api/v1/accounts/password-reset", json={"email": email}, expect=202)
    mail = mailbox.wait_for(lambda m: m.to == email and "password" in m.subject.lower())
    token = re.search(r"token=([\w:.-]+)", mail.body).group(1)
    accepted_everywhere(landlord)
    started = time.monotonic()
    api.call(
        "POST",
        "/api/v1/accounts/password-reset/confirm",
        json={"token": token, "new_password": "a-brand-new-e2e-passphrase"},
        expect=204,
    )
    refused_everywhere(landlord, started)
    assert refresh(landlord).status_code == 401
    accepted_everywhere(second_sign_in(api, landlord, "a-brand-new-e2e-passphrase"))
