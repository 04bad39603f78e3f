"""Accounts' writes: registration, profile and password reset (sign-in sessions are
in apps.accounts.sessions). Each state change publishes its event in the same
transaction (kernel outbox)."""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.contracts import (
    PASSWORD_CHANGED,
    PASSWORD_RESET_REQUESTED,
    USER_PROFILE_UPDATED,
    USER_REGISTERED,
)
from apps.accounts.models import EmailClaim, PasswordResetRequest, User
from apps.accounts.selectors import normalize_email, user_by_email
from kernel.events.outbox import publish_event

PASSWORD_RESET_LIFETIME = timedelta(hours=1)
# A reset link is the request id signed with the secret key: deterministic, so
# the internal endpoint that hands it to notifications is a safe, retryable GET.
_RESET_SIGNER = signing.Signer(salt="hearth.accounts.password-reset")


class EmailTaken(Exception):
    pass


class ResetLinkInvalid(Exception):
    pass


def _user_payload(user: User) -> dict:
    return {
        "user_id": str(user.id),
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role,
    }


def user_register(*, email: str, password: str | None, full_name: str, role: str, **fields) -> User:
    email = normalize_email(email)
    with transaction.atomic():
        user = User(email=email, full_name=full_name, role=role, **fields)
        user.set_password(password)
        try:
            with transaction.atomic():
                EmailClaim.objects.create(email=email, user_id=user.id)
        except IntegrityError as error:
            raise EmailTaken(email) from error
        user.save()
        publish_event(
            USER_REGISTERED,
            aggregate_id=user.id,
            payload={**_user_payload(user), "registered_at": user.date_joined.isoformat()},
        )
    return user


def user_update_profile(*, user_id: str, full_name: str) -> User:
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        user.full_name = full_name
        user.save(update_fields=["full_name"])
        publish_event(USER_PROFILE_UPDATED, aggregate_id=user.id, payload=_user_payload(user))
    return user


def password_reset_request(*, email: str) -> PasswordResetRequest | None:
    """Start a reset if the account exists. The caller answers the same either way,
    so the endpoint does not reveal who has an account."""
    user = user_by_email(email=email)
    if user is None or not user.is_active:
        return None
    with transaction.atomic():
        request = PasswordResetRequest.objects.create(
            user_id=user.id, expires_at=timezone.now() + PASSWORD_RESET_LIFETIME
        )
        publish_event(
            PASSWORD_RESET_REQUESTED,
            aggregate_id=user.id,
            payload={
                "request_id": str(request.id),
                "user_id": str(user.id),
                "email": user.email,
                "full_name": user.full_name,
                "expires_at": request.expires_at.isoformat(),
            },
        )
    return request


def password_reset_link(*, request: PasswordResetRequest) -> str:
    token = _RESET_SIGNER.sign(str(request.id))
    return f"{settings.HEARTH_PUBLIC_URL}/reset-password?token={token}"


def password_reset_confirm(*, token: str, new_password: str) -> User:
    try:
        request_id = _RESET_SIGNER.unsign(token)
    except signing.BadSignature as error:
        raise ResetLinkInvalid("This reset link is not valid.") from error
    with transaction.atomic():
        request = PasswordResetRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None or not request.usable:
            raise ResetLinkInvalid("This reset link has expired or was already used.")
        user = User.objects.select_for_update().get(pk=request.user_id)
        now = timezone.now()
        user.set_password(new_password)
        user.password_changed_at = now
        user.save(update_fields=["password", "password_changed_at"])
        request.used_at = now
        request.save(update_fields=["used_at"])
        publish_event(
            PASSWORD_CHANGED,
            aggregate_id=user.id,
            payload={"user_id": str(user.id), "changed_at": now.isoformat()},
        )
    return user
