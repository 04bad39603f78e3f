"""Accounts over HTTP: registration, tokens and profile (password reset: test_password_reset)."""

import json
import uuid

import pytest

from apps.accounts.models import User
from apps.accounts.selectors import normalize_email
from kernel.auth.tokens import UserAccessToken
from kernel.models import OutboxEvent
from kernel.testing.auth import user_tokens

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def register(client, **overrides):
    body = {
        "email": f"user-{uuid.uuid4().hex[:8]}@example.com",
        "password": PASSWORD,
        "full_name": "Ada Lovelace",
        "role": "landlord",
        **overrides,
    }
    return client.post("/api/v1/accounts/register", body, content_type="application/json")


def new_user(client, **overrides) -> dict:
    """Register someone new; what accounts stored for them."""
    email = overrides.setdefault("email", f"user-{uuid.uuid4().hex[:8]}@example.com")
    response = register(client, **overrides)
    assert response.status_code == 202, response.json()
    user = User.objects.get(email=normalize_email(email))
    return {"id": str(user.id), "email": user.email, "full_name": user.full_name}


def sign_in(client, email, password=PASSWORD):
    return client.post(
        "/api/v1/auth/token",
        {"email": email, "password": password},
        content_type="application/json",
    )


def bearer(access: str) -> dict:
    return {"Authorization": f"Bearer {access}"}


def events(event_type: str) -> list[dict]:
    return [
        row.envelope["payload"]
        for row in OutboxEvent.objects.filter(event_type=event_type).order_by("id")
    ]


def test_register_creates_the_user_and_publishes_user_registered(client):
    response = register(client, email=" Ada@Example.com ")
    assert response.status_code == 202, response.json()
    user = User.objects.get()
    assert user.email == "ada@example.com"
    assert user.check_password(PASSWORD)
    (payload,) = events("accounts.user_registered")
    assert payload["user_id"] == str(user.id)
    assert payload["role"] == "landlord"
    assert sign_in(client, "ada@example.com").status_code == 200  # ready at once


def test_a_taken_email_gets_the_same_answer_and_no_second_account(client):
    first = register(client, email="grace@example.com")
    again = register(client, email=" GRACE@example.com", password="another-long-passphrase")
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert first.status_code == 202
    assert "exist" not in json.dumps(again.json())
    assert User.objects.count() == 1
    assert len(events("accounts.user_registered")) == 1
    # The second password opens nothing; the sign-in fails like any wrong password.
    assert sign_in(client, "grace@example.com", "another-long-passphrase").status_code == 401


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password": "short"}, "password"),
        ({"password": "1234567890123"}, "password"),
        ({"role": "admin"}, "role"),
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"full_name": "x" * 151}, "full_name"),
        ({"full_name": None}, "full_name"),
        ({"role": ["renter"]}, "role"),
        ({"password": "p" * 129}, "password"),
    ],
)
def test_bad_registrations_get_field_errors(client, overrides, field):
    response = register(client, **overrides)
    assert response.status_code == 400
    assert field in response.json()


def test_missing_fields_and_malformed_json_are_400(client):
    empty = client.post("/api/v1/accounts/register", {}, content_type="application/json")
    assert empty.status_code == 400
    assert set(empty.json()) == {"email", "password", "full_name", "role"}
    broken = client.post("/api/v1/accounts/register", "{not json", content_type="application/json")
    assert broken.status_code == 400


def test_sign_in_issues_tokens_with_the_claims_other_services_need(client):
    user = new_user(client, role="renter")
    response = sign_in(client, user["email"])
    assert response.status_code == 200
    access = UserAccessToken(response.json()["access"])
    assert access["sub"] == user["id"]
    assert (access["role"], access["email"], access["name"]) == (
        "renter",
        user["email"],
        "Ada Lovelace",
    )


def test_wrong_password_and_unknown_email_are_401(client):
    user = new_user(client)
    assert sign_in(client, user["email"], "wrong-password-1").status_code == 401
    assert sign_in(client, "nobody@example.com").status_code == 401
    assert sign_in(client, "not-an-email").status_code == 400


def test_refresh_rotates_and_a_spent_refresh_token_is_refused(client):
    user = new_user(client)
    first = sign_in(client, user["email"]).json()
    rotated = client.post(
        "/api/v1/auth/token/refresh", {"refresh": first["refresh"]}, content_type="application/json"
    )
    assert rotated.status_code == 200
    assert rotated.json()["refresh"] != first["refresh"]
    reused = client.post(
        "/api/v1/auth/token/refresh", {"refresh": first["refresh"]}, content_type="application/json"
    )
    assert reused.status_code == 401


def test_an_access_token_is_not_a_refresh_token(client):
    user = new_user(client)
    tokens = sign_in(client, user["email"]).json()
    response = client.post(
        "/api/v1/auth/token/refresh", {"refresh": tokens["access"]}, content_type="application/json"
    )
    assert response.status_code == 401


def test_logout_revokes_the_refresh_token(client):
    user = new_user(client)
    tokens = sign_in(client, user["email"]).json()
    logout = client.post(
        "/api/v1/auth/logout", {"refresh": tokens["refresh"]}, content_type="application/json"
    )
    assert logout.status_code == 204
    refresh = client.post(
        "/api/v1/auth/token/refresh",
        {"refresh": tokens["refresh"]},
        content_type="application/json",
    )
    assert refresh.status_code == 401
    garbage = client.post(
        "/api/v1/auth/logout", {"refresh": "garbage"}, content_type="application/json"
    )
    assert garbage.status_code == 401  # not a credential: the kernel's Unauthenticated


def test_me_shows_and_updates_the_profile(client):
    user = new_user(client)
    access = sign_in(client, user["email"]).json()["access"]
    assert client.get("/api/v1/accounts/me").status_code == 401
    me = client.get("/api/v1/accounts/me", headers=bearer(access))
    assert me.json()["email"] == user["email"]
    patched = client.patch(
        "/api/v1/accounts/me",
        json.dumps({"full_name": "Ada King"}),
        content_type="application/json",
        headers=bearer(access),
    )
    assert patched.status_code == 200
    assert patched.json()["full_name"] == "Ada King"
    assert events("accounts.user_profile_updated")[-1]["full_name"] == "Ada King"
    blank = client.patch(
        "/api/v1/accounts/me",
        json.dumps({"full_name": ""}),
        content_type="application/json",
        headers=bearer(access),
    )
    assert blank.status_code == 400
    # A PATCH changes what it names: nothing named, nothing changed, no event.
    published = len(events("accounts.user_profile_updated"))
    empty = client.patch(
        "/api/v1/accounts/me", "{}", content_type="application/json", headers=bearer(access)
    )
    assert (empty.status_code, empty.json()["full_name"]) == (200, "Ada King")
    assert len(events("accounts.user_profile_updated")) == published


def test_me_for_a_token_of_an_unknown_user_is_404(client):
    tokens = user_tokens(user_id=str(uuid.uuid4()), role="renter")
    assert client.get("/api/v1/accounts/me", headers=tokens.header).status_code == 404


def test_published_key_set_verifies_issued_tokens(client):
    jwks = client.get("/api/v1/auth/jwks.json").json()
    user = new_user(client)
    access = sign_in(client, user["email"]).json()["access"]
    import jwt

    kid = jwt.get_unverified_header(access)["kid"]
    assert kid in {key["kid"] for key in jwks["keys"]}
