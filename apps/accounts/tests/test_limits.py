"""Brute force: per-address and per-account limits answered with 429 and
Retry-After, counted in the real Redis; the per-account sign-in lockout counts
failures only and holds even for the right password."""

import time

import pytest

from apps.accounts import limits
from apps.accounts.tests.test_api import PASSWORD, new_user, register, sign_in
from apps.accounts.tests.test_password_reset import confirm, issue_link, requested, token_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def limit(settings):
    def set_rates(**rates: str) -> None:
        settings.HEARTH_ACCOUNTS_LIMITS = {**settings.HEARTH_ACCOUNTS_LIMITS, **rates}

    return set_rates


def refused(response, *, at_most: int) -> None:
    assert response.status_code == 429, response.json()
    assert 0 < int(response["Retry-After"]) <= at_most


def test_rates_read_as_count_per_period():
    assert limits.Rate.parse("5/15m") == limits.Rate(5, 900)
    assert limits.Rate.parse("30/1m") == limits.Rate.parse("30/m") == limits.Rate(30, 60)
    assert limits.Rate.parse("3/1h") == limits.Rate(3, 3600)
    with pytest.raises(ValueError, match="a rate is"):
        limits.Rate.parse("5 per minute")


def test_sixty_wrong_passwords_then_the_right_one_is_refused(client, limit):
    limit(sign_in_failures="5/15m")
    user = new_user(client)
    answers = [sign_in(client, user["email"], f"wrong-password-{n}").status_code for n in range(60)]
    assert answers[:5] == [401] * 5
    assert set(answers[5:]) == {429}
    right = sign_in(client, user["email"], PASSWORD)
    refused(right, at_most=900)
    assert "access" not in right.json()


def test_an_unknown_email_locks_the_same_way(client, limit):
    limit(sign_in_failures="5/15m")
    user = new_user(client)
    known = [sign_in(client, user["email"], "wrong-password-1") for _ in range(7)]
    unknown = [sign_in(client, "nobody@example.com", "wrong-password-1") for _ in range(7)]
    for one, other in zip(known, unknown, strict=True):
        assert (one.status_code, one.json()) == (other.status_code, other.json())
    assert [r.status_code for r in known] == [401] * 5 + [429] * 2


def test_only_failures_count_and_a_success_starts_again(client, limit):
    limit(sign_in_failures="3/15m")
    user = new_user(client)
    for _ in range(10):  # many sign-ins of one account are fine
        assert sign_in(client, user["email"]).status_code == 200
    for _ in range(2):
        assert sign_in(client, user["email"], "wrong-password-1").status_code == 401
    assert sign_in(client, user["email"]).status_code == 200  # clears the two failures
    for _ in range(2):
        assert sign_in(client, user["email"], "wrong-password-1").status_code == 401
    assert sign_in(client, user["email"]).status_code == 200


def test_the_lockout_is_per_email_in_any_spelling(client, limit):
    limit(sign_in_failures="3/15m")
    user = new_user(client)
    other = new_user(client)
    spellings = [user["email"].upper(), f"  {user['email']} ", user["email"]]
    for spelling in spellings:
        assert sign_in(client, spelling, "wrong-password-1").status_code == 401
    refused(sign_in(client, user["email"].title()), at_most=900)
    assert sign_in(client, other["email"]).status_code == 200  # someone else is not locked


def test_a_successful_reset_lifts_the_lockout(client, limit):
    limit(sign_in_failures="3/15m")
    user = new_user(client)
    for _ in range(3):
        sign_in(client, user["email"], "wrong-password-1")
    refused(sign_in(client, user["email"]), at_most=900)
    token = token_of(issue_link(client, requested(client, user["email"])))
    assert confirm(client, token).status_code == 204
    assert sign_in(client, user["email"], "a-new-long-passphrase").status_code == 200


def test_sign_in_is_limited_per_address_and_the_last_proxy_hop_decides(client, limit):
    limit(sign_in_address="3/1m")
    user = new_user(client)

    def from_address(hops: str):
        return client.post(
            "/api/v1/auth/token",
            {"email": user["email"], "password": PASSWORD},
            content_type="application/json",
            headers={"X-Forwarded-For": hops},
        )

    for spoofed in ["1.1.1.1, 203.0.113.9", "2.2.2.2, 203.0.113.9", "203.0.113.9"]:
        assert from_address(spoofed).status_code == 200
    # Rotating the entries a client writes itself changes nothing: the gateway's is last.
    refused(from_address("3.3.3.3, 203.0.113.9"), at_most=60)
    assert from_address("203.0.113.10").status_code == 200  # another client


def test_register_is_limited_per_address_and_per_email(client, limit):
    limit(register_address="4/1h", register_email="2/1h")
    assert register(client, email="twice@example.com").status_code == 202
    assert register(client, email="twice@example.com").status_code == 202
    refused(register(client, email="twice@example.com"), at_most=3600)
    assert register(client).status_code == 202
    refused(register(client), at_most=3600)  # the address's fifth registration


def test_register_limits_say_nothing_about_who_has_an_account(client, limit):
    limit(register_email="2/1h")
    new_user(client, email="taken@example.com")  # one attempt at the taken email
    assert register(client, email="taken@example.com").status_code == 202
    assert register(client, email="free@example.com").status_code == 202
    assert register(client, email="free@example.com").status_code == 202
    taken = register(client, email="taken@example.com")
    free = register(client, email="free@example.com")
    assert (taken.status_code, taken.json()) == (free.status_code, free.json())
    assert taken.status_code == 429


def test_refresh_is_limited_per_address_and_per_account(client, limit):
    limit(refresh_account="2/1m")
    user = new_user(client)
    refresh = sign_in(client, user["email"]).json()["refresh"]
    for _ in range(2):
        response = client.post(
            "/api/v1/auth/token/refresh", {"refresh": refresh}, content_type="application/json"
        )
        assert response.status_code == 200
        refresh = response.json()["refresh"]
    refused(
        client.post(
            "/api/v1/auth/token/refresh", {"refresh": refresh}, content_type="application/json"
        ),
        at_most=60,
    )
    limit(refresh_address="3/1m", refresh_account="100/1m")
    for _ in range(3):
        client.post(
            "/api/v1/auth/token/refresh", {"refresh": "made-up"}, content_type="application/json"
        )
    refused(
        client.post(
            "/api/v1/auth/token/refresh", {"refresh": refresh}, content_type="application/json"
        ),
        at_most=60,
    )


def test_made_up_refresh_tokens_use_up_no_account_allowance(client, limit):
    limit(refresh_account="2/1m")
    user = new_user(client)
    for _ in range(5):
        client.post(
            "/api/v1/auth/token/refresh", {"refresh": "garbage"}, content_type="application/json"
        )
    refresh = sign_in(client, user["email"]).json()["refresh"]
    response = client.post(
        "/api/v1/auth/token/refresh", {"refresh": refresh}, content_type="application/json"
    )
    assert response.status_code == 200


def test_password_reset_is_limited_per_address(client, limit):
    limit(reset_address="3/1h", reset_confirm_address="2/1h")
    for _ in range(3):
        assert (
            client.post(
                "/api/v1/accounts/password-reset",
                {"email": "someone@example.com"},
                content_type="application/json",
            ).status_code
            == 202
        )
    refused(
        client.post(
            "/api/v1/accounts/password-reset",
            {"email": "someone-else@example.com"},
            content_type="application/json",
        ),
        at_most=3600,
    )
    body = {"token": "guess", "new_password": "a-new-long-passphrase"}
    for _ in range(2):
        response = client.post(
            "/api/v1/accounts/password-reset/confirm", body, content_type="application/json"
        )
        assert response.status_code == 400
    refused(
        client.post(
            "/api/v1/accounts/password-reset/confirm", body, content_type="application/json"
        ),
        at_most=3600,
    )


def test_the_window_ends(client, limit):
    limit(sign_in_failures="2/1s")
    user = new_user(client)
    for _ in range(2):
        sign_in(client, user["email"], "wrong-password-1")
    assert sign_in(client, user["email"]).status_code == 429
    time.sleep(2.1)
    assert sign_in(client, user["email"]).status_code == 200
