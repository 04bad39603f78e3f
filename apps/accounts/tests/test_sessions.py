"""Sign-in sessions end when they should: a reused refresh token ends its whole
family, sign-out and "sign out everywhere" refuse the session's access tokens at
once, and the revocation events reach every deployable's consumer (Redis, real)."""

import uuid

import pytest
from django.conf import settings

from apps.accounts import sessions
from apps.accounts.contracts import PASSWORD_CHANGED, SESSION_REVOKED, USER_SESSIONS_REVOKED
from apps.accounts.models import EmailClaim, TokenFamily, User
from apps.accounts.tests.test_api import bearer, events
from apps.accounts.tests.test_password_reset import (
    NEW_PASSWORD,
    confirm,
    issue_link,
    requested,
    token_of,
)
from kernel import errors
from kernel.auth import revocation
from kernel.auth.tokens import UserAccessToken, UserRefreshToken
from kernel.events.envelope import Envelope
from kernel.events.registry import consumer_specs
from kernel.models import OutboxEvent
from kernel.testing.auth import user_tokens
from kernel.testing.events import deliver

pytestmark = pytest.mark.django_db

PASSWORD = "a-session-test-passphrase"


@pytest.fixture
def user() -> User:
    email = f"session-{uuid.uuid4().hex[:8]}@example.com"
    user = User(email=email, full_name="Sam Session", role="renter")
    user.set_password(PASSWORD)
    user.save()
    EmailClaim.objects.create(email=email, user_id=user.id)
    return user


def sign_in(client, user: User) -> dict:
    response = client.post(
        "/api/v1/auth/token",
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    return response.json()


def refresh(client, raw: str):
    return client.post(
        "/api/v1/auth/token/refresh", {"refresh": raw}, content_type="application/json"
    )


def me(client, access: str) -> int:
    return client.get("/api/v1/accounts/me", headers=bearer(access)).status_code


def test_every_token_of_a_sign_in_carries_its_session_through_rotations(client, user):
    first = sign_in(client, user)
    sid = UserAccessToken(first["access"])["sid"]
    second = refresh(client, first["refresh"]).json()
    third = refresh(client, second["refresh"]).json()
    for pair in (first, second, third):
        assert UserAccessToken(pair["access"])["sid"] == sid
        assert UserRefreshToken(pair["refresh"])["sid"] == sid
    family = TokenFamily.objects.get(pk=sid)
    assert (str(family.user_id), family.revoked_at) == (str(user.id), None)
    assert family.refresh_jti == UserRefreshToken(third["refresh"])["jti"]
    assert UserAccessToken(sign_in(client, user)["access"])["sid"] != sid  # a new sign-in


def test_reusing_a_spent_refresh_token_ends_its_whole_family(
    client, user, django_capture_on_commit_callbacks
):
    stolen = sign_in(client, user)
    other_device = sign_in(client, user)
    sibling = refresh(client, stolen["refresh"]).json()  # the rightful owner rotates
    assert me(client, sibling["access"]) == 200

    with django_capture_on_commit_callbacks(execute=True):
        reused = refresh(client, stolen["refresh"])  # the copy comes back
    assert reused.status_code == 401
    assert "already used" in reused.json()["detail"]
    assert refresh(client, sibling["refresh"]).status_code == 401  # the sibling's refresh
    assert me(client, sibling["access"]) == 401  # and its access token
    assert me(client, stolen["access"]) == 401

    assert me(client, other_device["access"]) == 200  # another sign-in is another family
    assert refresh(client, other_device["refresh"]).status_code == 200
    (ended,) = events(SESSION_REVOKED.name)
    assert ended["session_id"] == UserAccessToken(sibling["access"])["sid"]
    assert (ended["user_id"], ended["reason"]) == (str(user.id), "refresh_token_reused")


def test_sign_out_refuses_the_sessions_tokens_at_once(
    client, user, django_capture_on_commit_callbacks
):
    tokens = sign_in(client, user)
    other_device = sign_in(client, user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/auth/logout", {"refresh": tokens["refresh"]}, content_type="application/json"
        )
    assert response.status_code == 204
    assert me(client, tokens["access"]) == 401
    assert refresh(client, tokens["refresh"]).status_code == 401
    assert me(client, other_device["access"]) == 200
    (ended,) = events(SESSION_REVOKED.name)
    assert (ended["reason"], ended["session_id"]) == (
        "signed_out",
        UserAccessToken(tokens["access"])["sid"],
    )
    again = client.post(
        "/api/v1/auth/logout", {"refresh": tokens["refresh"]}, content_type="application/json"
    )
    assert again.status_code == 204  # harmless twice, and nothing new published
    assert len(events(SESSION_REVOKED.name)) == 1


def test_sign_out_everywhere_ends_every_session_and_a_new_sign_in_works_at_once(
    client, user, django_capture_on_commit_callbacks
):
    here, there = sign_in(client, user), sign_in(client, user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/auth/logout-everywhere", headers=bearer(here["access"]))
    assert response.status_code == 204
    for pair in (here, there):
        assert me(client, pair["access"]) == 401
        assert refresh(client, pair["refresh"]).status_code == 401
    assert not TokenFamily.objects.filter(user_id=user.id, revoked_at__isnull=True).exists()
    (cut_off,) = events(USER_SESSIONS_REVOKED.name)
    assert cut_off["user_id"] == str(user.id)

    fresh = sign_in(client, user)  # within the same second as the cut-off
    assert me(client, fresh["access"]) == 200
    assert refresh(client, fresh["refresh"]).status_code == 200


def test_sign_out_everywhere_needs_a_signed_in_user(client):
    assert client.post("/api/v1/auth/logout-everywhere").status_code == 401


def test_session_errors_are_the_kernels_unauthenticated(client):
    assert issubclass(sessions.InvalidRefreshToken, errors.Unauthenticated)
    assert issubclass(sessions.SessionEnded, errors.Unauthenticated)
    garbage = refresh(client, "garbage")
    assert garbage.status_code == 401
    assert garbage.headers["WWW-Authenticate"].startswith("Bearer")
    # Issued before sessions had ids: refused, the holder signs in again.
    old = user_tokens(user_id=str(uuid.uuid4()), role="renter")
    assert "sid" not in UserRefreshToken(old.refresh)
    assert refresh(client, old.refresh).status_code == 401


# --- the events reach every deployable's consumer ------------------------------


def _spec():
    (spec,) = [s for s in consumer_specs().values() if s.group_id.endswith(".revocation")]
    return spec


def test_accounts_runs_the_revocation_consumer_of_its_own_events():
    spec = _spec()
    assert "kernel.auth.revocation.REVOCATION_CONSUMER" in settings.HEARTH_EVENT_CONSUMERS
    assert spec.group_id == "hearth.accounts.revocation"
    assert spec.topics == (SESSION_REVOKED.topic,)
    assert set(spec.handlers) == {
        SESSION_REVOKED.name,
        USER_SESSIONS_REVOKED.name,
        PASSWORD_CHANGED.name,
    }


def _published(event_type: str) -> Envelope:
    row = OutboxEvent.objects.filter(event_type=event_type).latest("id")
    return Envelope.from_dict(row.envelope)


def test_the_consumer_applies_what_accounts_publishes(client, user):
    """Without on-commit marks (plain test transaction): only the consumer's."""
    signed_out, everywhere = sign_in(client, user), sign_in(client, user)
    client.post(
        "/api/v1/auth/logout", {"refresh": signed_out["refresh"]}, content_type="application/json"
    )
    assert deliver(_spec(), _published(SESSION_REVOKED.name))
    assert revocation.is_revoked(UserAccessToken(signed_out["access"]).payload)
    assert not revocation.is_revoked(UserAccessToken(everywhere["access"]).payload)

    client.post("/api/v1/auth/logout-everywhere", headers=bearer(everywhere["access"]))
    envelope = _published(USER_SESSIONS_REVOKED.name)
    assert deliver(_spec(), envelope)
    assert not deliver(_spec(), envelope)  # a redelivery is a no-op
    assert me(client, everywhere["access"]) == 401


def test_a_password_reset_ends_older_access_tokens_everywhere(client, user):
    before = sign_in(client, user)
    reset_token = token_of(issue_link(client, requested(client, user.email)))
    assert confirm(client, reset_token, NEW_PASSWORD).status_code == 204
    assert me(client, before["access"]) == 200  # until the event reaches the consumer
    # accounts' own consumer, as every deployable's: the cut-off is the change's time.
    assert deliver(_spec(), _published(PASSWORD_CHANGED.name))
    assert me(client, before["access"]) == 401
    assert refresh(client, before["refresh"]).status_code == 401
    after = client.post(
        "/api/v1/auth/token",
        {"email": user.email, "password": NEW_PASSWORD},
        content_type="application/json",
    ).json()
    assert me(client, after["access"]) == 200
