"""Accounts: who people are and how they prove it.

Citus shards users by id. An email must be unique across all users, which Citus
can enforce only on the distribution column, so the uniqueness lives in
EmailClaim, a lookup table keyed (and sharded) by the email itself.
"""

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    RENTER = "renter"
    LANDLORD = "landlord"


class UserManager(BaseUserManager):
    """Makes no account itself: an account is made with its email's claim and its
    user_registered event, which is services.user_register's work, and models sit
    below services (pyproject.toml's layers contract). Staff: `manage.py create_staff`."""

    def create_user(self, *args, **kwargs) -> "User":
        raise NotImplementedError("Accounts are made by apps.accounts.services.user_register")

    def create_superuser(self, *args, **kwargs) -> "User":
        raise NotImplementedError("Staff accounts are made by `manage.py create_staff`")


class User(AbstractBaseUser):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254)  # unique through EmailClaim
    full_name = models.CharField(max_length=150)
    role = models.CharField(max_length=10, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    # Operations staff: Django admin. There are no per-model permissions; staff
    # are trusted with their own context's admin (see has_perm).
    is_staff = models.BooleanField(default=False)
    is_superuser = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Refresh tokens issued before this are refused (sessions._password_version).
    password_changed_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        db_table = "accounts_user"

    def __str__(self) -> str:
        return self.email

    def has_perm(self, perm: str, obj=None) -> bool:
        return self.is_active and (self.is_superuser or self.is_staff)

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_active and (self.is_superuser or self.is_staff)


class EmailClaim(models.Model):
    """An email address taken by a user: the primary key makes it unique."""

    email = models.CharField(max_length=254, primary_key=True)  # normalised: lower case
    user_id = models.UUIDField()

    class Meta:
        db_table = "accounts_email_claim"

    def __str__(self) -> str:
        return self.email


class PasswordResetRequest(models.Model):
    """One "forgot my password" request. Its link's token is random and kept only as
    a SHA-256 hash: the request id (which travels in events) proves nothing alone."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user_id = models.UUIDField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    # Hex SHA-256 of the token of the latest link issued; empty until one is.
    token_hash = models.CharField(max_length=64, blank=True, default="")
    used_at = models.DateTimeField(null=True, blank=True)
    # Set when a newer request, or a password change, makes this one worthless.
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "accounts_password_reset"

    def __str__(self) -> str:
        return f"password reset {self.id}"

    @property
    def usable(self) -> bool:
        return self.used_at is None and self.voided_at is None and self.expires_at > timezone.now()


class TokenFamily(models.Model):
    """A sign-in session: every refresh token rotated from one sign-in carries its
    id (the tokens' `sid` claim). Only the newest refresh token of a family may be
    used; an older one coming back means someone kept a copy, so the family ends
    (apps.accounts.sessions). Rows past `expires_at` can be pruned."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user_id = models.UUIDField(db_index=True)
    refresh_jti = models.CharField(max_length=64)  # the one refresh token still usable
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()  # when that refresh token expires
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "accounts_token_family"

    def __str__(self) -> str:
        return f"session {self.id}"
