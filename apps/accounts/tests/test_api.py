"""Accounts over HTTP: registration, tokens, profile and password reset."""

import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import PasswordResetRequest, User
from kernel.auth.tokens import ServiceToken, UserAccessToken
from kernel.models import OutboxEvent
from kernel.testing.auth import acting_as, user_tokens

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
    response = register(client, email="Ada@Example.com")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["email"] == "ada@example.com"
    assert "password" not in body
    (payload,) = events("accounts.user_registered")
    assert payload["user_id"] == body["id"]
    assert payload["role"] == "landlord"


def test_an_email_can_register_once_whatever_its_case(client):
    assert register(client, email="grace@example.com").status_code == 201
    again = register(client, email=" GRACE@example.com")
    assert again.status_code == 400
    assert "email" in again.json()
    assert User.objects.count() == 1


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
    user = register(client, role="renter").json()
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
    user = register(client).json()
    assert sign_in(client, user["email"], "wrong-password-1").status_code == 401
    assert sign_in(client, "nobody@example.com").status_code == 401
    assert sign_in(client, "not-an-email").status_code == 400


def test_refresh_rotates_and_a_spent_refresh_token_is_refused(client):
    user = register(client).json()
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
    user = register(client).json()
    tokens = sign_in(client, user["email"]).json()
    response = client.post(
        "/api/v1/auth/token/refresh", {"refresh": tokens["access"]}, content_type="application/json"
    )
    assert response.status_code == 401


def test_logout_revokes_the_refresh_token(client):
    user = register(client).json()
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
    user = register(client).json()
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


def test_me_for_a_token_of_an_unknown_user_is_404(client):
    tokens = user_tokens(user_id=str(uuid.uuid4()), role="renter")
    assert client.get("/api/v1/accounts/me", headers=tokens.header).status_code == 404


def test_published_key_set_verifies_issued_tokens(client):
    jwks = client.get("/api/v1/auth/jwks.json").json()
    user = register(client).json()
    access = sign_in(client, user["email"]).json()["access"]
    import jwt

    kid = jwt.get_unverified_header(access)["kid"]
    assert kid in {key["kid"] for key in jwks["keys"]}


# --- password reset -------------------------------------------------------------


def request_reset(client, email):
    return client.post(
        "/api/v1/accounts/password-reset", {"email": email}, content_type="application/json"
    )


def reset_link(client, request_id, caller="notifications"):
    with acting_as(caller):
        token = str(ServiceToken.for_callee("accounts"))
    return client.get(
        f"/api/v1/accounts/internal/password-resets/{request_id}/link", headers=bearer(token)
    )


def test_reset_for_an_unknown_email_looks_the_same_and_publishes_nothing(client):
    response = request_reset(client, "nobody@example.com")
    assert response.status_code == 202
    assert events("accounts.password_reset_requested") == []


def test_password_reset_end_to_end_within_accounts(client):
    user = register(client).json()
    old_tokens = sign_in(client, user["email"]).json()
    assert request_reset(client, user["email"].upper()).status_code == 202
    (payload,) = events("accounts.password_reset_requested")
    assert "token" not in json.dumps(payload)  # the link never enters the event log

    link = reset_link(client, payload["request_id"])
    assert link.status_code == 200
    assert reset_link(client, payload["request_id"]).json() == link.json()  # safe to retry
    token = link.json()["url"].split("token=")[1]

    weak = client.post(
        "/api/v1/accounts/password-reset/confirm",
        {"token": token, "new_password": "123"},
        content_type="application/json",
    )
    assert weak.status_code == 400
    assert "new_password" in weak.json()
    done = client.post(
        "/api/v1/accounts/password-reset/confirm",
        {"token": token, "new_password": "a-new-long-passphrase"},
        content_type="application/json",
    )
    assert done.status_code == 204
    assert sign_in(client, user["email"], "a-new-long-passphrase").status_code == 200
    assert sign_in(client, user["email"]).status_code == 401
    stale = client.post(
        "/api/v1/auth/token/refresh",
        {"refresh": old_tokens["refresh"]},
        content_type="application/json",
    )
    assert stale.status_code == 401  # sessions from before the reset are over
    again = client.post(
        "/api/v1/accounts/password-reset/confirm",
        {"token": token, "new_password": "another-long-passphrase"},
        content_type="application/json",
    )
    assert again.status_code == 400
    assert reset_link(client, payload["request_id"]).status_code == 410
    assert events("accounts.password_changed")[0]["user_id"] == user["id"]


def test_forged_or_expired_reset_tokens_are_refused(client):
    user = register(client).json()
    request_reset(client, user["email"])
    reset = PasswordResetRequest.objects.get()
    forged = client.post(
        "/api/v1/accounts/password-reset/confirm",
        {"token": f"{reset.id}:forged", "new_password": "a-new-long-passphrase"},
        content_type="application/json",
    )
    assert forged.status_code == 400
    token = reset_link(client, reset.id).json()["url"].split("token=")[1]
    PasswordResetRequest.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = client.post(
        "/api/v1/accounts/password-reset/confirm",
        {"token": token, "new_password": "a-new-long-passphrase"},
        content_type="application/json",
    )
    assert expired.status_code == 400
    assert reset_link(client, reset.id).status_code == 410


def test_internal_link_endpoint_admits_only_notifications(client):
    user = register(client).json()
    request_reset(client, user["email"])
    reset = PasswordResetRequest.objects.get()
    assert reset_link(client, reset.id, caller="listings").status_code == 403
    user_access = sign_in(client, user["email"]).json()["access"]
    as_user = client.get(
        f"/api/v1/accounts/internal/password-resets/{reset.id}/link", headers=bearer(user_access)
    )
    assert as_user.status_code == 401
    assert reset_link(client, uuid.uuid4()).status_code == 404
