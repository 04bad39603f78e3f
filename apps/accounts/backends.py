from django.contrib.auth.backends import BaseBackend

from apps.accounts import limits
from apps.accounts.models import User
from apps.accounts.selectors import normalize_email, user_by_email
from kernel import errors


def _sign_in_subject(email: str) -> str:
    try:
        return normalize_email(email)
    except errors.Invalid:
        return email.strip().lower()


def sign_in_locked(email: str) -> int | None:
    """Seconds until this email may try again, after too many failed sign-ins: the
    same for an email with or without an account."""
    return limits.blocked("sign_in_failures", _sign_in_subject(email))


class EmailBackend(BaseBackend):
    """Sign-in by email through EmailClaim (email is not unique on the user row),
    for the token endpoint and accounts' own admin alike. Every failure counts
    against the email (limits' `sign_in_failures`); once locked, even the right
    password is refused until the window ends. Every path hashes the password
    once, so none is quicker: the time tells nobody whether an account exists."""

    def authenticate(
        self, request, username: str | None = None, password: str | None = None, **kwargs
    ):
        email = kwargs.get("email", username)
        if not email or not password:
            return None
        subject = _sign_in_subject(email)
        if limits.blocked("sign_in_failures", subject):
            User().set_password(password)
            return None
        try:
            user = user_by_email(email=email)
        except errors.Invalid:  # not an email we could store: no account has it
            user = None
        if user is None:
            User().set_password(password)
            signed_in = False
        else:
            signed_in = user.check_password(password) and user.is_active
        if not signed_in:
            limits.hit("sign_in_failures", subject)
            return None
        limits.clear("sign_in_failures", subject)
        return user

    def get_user(self, user_id):
        return User.objects.filter(pk=user_id, is_active=True).first()
