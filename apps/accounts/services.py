"""Accounts' writes: registration, profile, tokens, password reset and staff's
changes to accounts. Each state change publishes its event in the same
transaction (kernel outbox)."""

import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts import limits, sessions
from apps.accounts.contracts import (
    PASSWORD_CHANGED,
    PASSWORD_RESET_REQUESTED,
    USER_DEACTIVATED,
    USER_PROFILE_UPDATED,
    USER_REACTIVATED,
    USER_REGISTERED,
    USER_STAFF_GRANTED,
    USER_STAFF_REVOKED,
)
from apps.accounts.models import EmailClaim, PasswordResetRequest, User
from apps.accounts.selectors import normalize_email, user_by_email
from kernel import errors
from kernel.events.outbox import publish_event


class EmailTaken(errors.Conflict):
    default_message = "An account with this email already exists."


class ResetLinkInvalid(errors.Invalid):
    """A reset token that is unknown, forged, used, expired or superseded: the
    caller learns only that the link no longer works."""

    default_message = "This reset link has expired or was already used. Ask for a new one."

    def __init__(self) -> None:
        super().__init__(fields={"token": [self.default_message]})


class ResetRequestGone(errors.Conflict):
    """The reset request was used, expired or superseded: no link can be issued for it."""

    default_message = "This reset request has expired or was used."


def _user_payload(user: User) -> dict:
    return {
        "user_id": str(user.id),
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role,
    }


def validate_new_password(password: str, user: User, *, field: str = "password") -> None:
    """Django's validators, with the user's email and full name to compare against."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise errors.Invalid(fields={field: list(error.messages)}) from error


def user_register(*, email: str, password: str | None, full_name: str, role: str, **fields) -> User:
    """A new account; EmailTaken if the email has one. Either way the password is
    hashed first, so both outcomes take the same time (the API answers both alike)."""
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
    """Start a reset if the account exists, at most `reset_email` times per address
    and window. The caller answers the same in every case, so the endpoint tells
    no one who has an account. A new request voids the user's earlier ones: only
    the latest email's link works."""
    email = normalize_email(email)
    if limits.hit("reset_email", email) is not None:
        return None  # enough emails to this address for now; counted whether or not it exists
    user = user_by_email(email=email)
    if user is None or not user.is_active:
        return None
    now = timezone.now()
    with transaction.atomic():
        _void_pending_resets(user_id=user.id, at=now)
        request = PasswordResetRequest.objects.create(
            user_id=user.id,
            expires_at=now + timedelta(minutes=settings.PASSWORD_RESET_MINUTES),
        )
        # The request id only names the request: the link's token is made when the
        # email is sent (password_reset_issue_link) and is never in an event.
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


def _void_pending_resets(*, user_id: uuid.UUID, at: datetime) -> None:
    PasswordResetRequest.objects.filter(
        user_id=user_id, used_at__isnull=True, voided_at__isnull=True
    ).update(voided_at=at)


def _token_hash(secret: str) -> str:
    # SHA-256 without salt or stretching is enough for 256 random bits: nobody
    # can guess a preimage, and a stolen table gives no usable link.
    return hashlib.sha256(secret.encode()).hexdigest()


def password_reset_issue_link(*, request_id: uuid.UUID) -> str:
    """A fresh link for the email about to be sent: a new random token (256 bits),
    whose hash replaces the request's earlier one, so only the latest link works.
    NotFound for an unknown request; ResetRequestGone for a used, expired or
    superseded one."""
    with transaction.atomic():
        request = PasswordResetRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None:
            raise errors.NotFound("No such reset request.")
        if not request.usable:
            raise ResetRequestGone()
        secret = secrets.token_urlsafe(32)
        request.token_hash = _token_hash(secret)
        request.save(update_fields=["token_hash"])
    return f"{settings.HEARTH_PUBLIC_URL}/reset-password?token={request.id}.{secret}"


def _reset_request_for(token: str) -> PasswordResetRequest:
    """The usable request this token opens, locked; ResetLinkInvalid otherwise."""
    request_id, _, secret = token.partition(".")
    try:
        request_id = uuid.UUID(request_id)
    except ValueError as error:
        raise ResetLinkInvalid() from error
    request = PasswordResetRequest.objects.select_for_update().filter(pk=request_id).first()
    if (
        request is None
        or not secret
        or not request.token_hash
        or not hmac.compare_digest(request.token_hash, _token_hash(secret))
        or not request.usable
    ):
        raise ResetLinkInvalid()
    return request


def password_reset_confirm(*, token: str, new_password: str) -> User:
    """Set the password through a reset link: the link is spent, every other pending
    reset of the user is void, and sessions from before are over: refresh tokens
    carry the password version, and password_changed cuts off older access tokens
    in every deployable (kernel.auth.revocation). A weak password leaves the link
    usable."""
    with transaction.atomic():
        request = _reset_request_for(token)
        user = User.objects.select_for_update().filter(pk=request.user_id, is_active=True).first()
        if user is None or (
            user.password_changed_at and request.created_at <= user.password_changed_at
        ):
            raise ResetLinkInvalid()  # the account is gone, or its password changed since
        validate_new_password(new_password, user, field="new_password")
        now = timezone.now()
        user.set_password(new_password)
        user.password_changed_at = now
        user.save(update_fields=["password", "password_changed_at"])
        request.used_at = now
        request.save(update_fields=["used_at"])
        _void_pending_resets(user_id=user.id, at=now)
        publish_event(
            PASSWORD_CHANGED,
            aggregate_id=user.id,
            payload={"user_id": str(user.id), "changed_at": now.isoformat()},
        )
    # Whoever reads this account's mail may sign in again at once.
    limits.clear("sign_in_failures", user.email)
    return user


# --- staff's changes to accounts (the admin's actions) ---------------------------


def _staff_change(*, user_id, by: User, event, change: dict, superuser_only: bool) -> User:
    """Apply `change` to one account, on behalf of the staff member `by`, and publish
    `event`; no event when nothing changes. Staff never change their own account,
    and only superusers change staff's accounts or anyone's staff flag."""
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise errors.NotFound("No such account.")
        if user.pk == by.pk:
            raise errors.Forbidden("Staff cannot change their own account.")
        if not by.is_superuser and (superuser_only or user.is_staff or user.is_superuser):
            raise errors.Forbidden("Only superusers may do this.")
        if all(getattr(user, name) == value for name, value in change.items()):
            return user
        for name, value in change.items():
            setattr(user, name, value)
        user.save(update_fields=list(change))
        publish_event(
            event,
            aggregate_id=user.id,
            payload={
                "user_id": str(user.id),
                "by_user_id": str(by.pk),
                "at": timezone.now().isoformat(),
            },
        )
    return user


def user_deactivate(*, user_id, by: User) -> User:
    """The account can no longer sign in, and its sessions end everywhere."""
    with transaction.atomic():
        user = _staff_change(
            user_id=user_id,
            by=by,
            event=USER_DEACTIVATED,
            change={"is_active": False},
            superuser_only=False,
        )
        sessions.sessions_revoke_all(user_id=user.id)
    return user


def user_reactivate(*, user_id, by: User) -> User:
    return _staff_change(
        user_id=user_id,
        by=by,
        event=USER_REACTIVATED,
        change={"is_active": True},
        superuser_only=False,
    )


def user_grant_staff(*, user_id, by: User) -> User:
    """Admits the account to every context's admin from its next sign-in."""
    return _staff_change(
        user_id=user_id,
        by=by,
        event=USER_STAFF_GRANTED,
        change={"is_staff": True},
        superuser_only=True,
    )


def user_revoke_staff(*, user_id, by: User) -> User:
    """Keeps the account out of every context's admin from its next sign-in; a
    superuser loses that flag too, or the account would still count as staff."""
    return _staff_change(
        user_id=user_id,
        by=by,
        event=USER_STAFF_REVOKED,
        change={"is_staff": False, "is_superuser": False},
        superuser_only=True,
    )
