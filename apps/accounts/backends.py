from django.contrib.auth.backends import BaseBackend

from apps.accounts.models import User
from apps.accounts.selectors import user_by_email


class EmailBackend(BaseBackend):
    """Sign-in by email through EmailClaim (email is not unique on the user row)."""

    def authenticate(
        self, request, username: str | None = None, password: str | None = None, **kwargs
    ):
        email = kwargs.get("email", username)
        if not email or not password:
            return None
        user = user_by_email(email=email)
        if user is None:
            # Hash anyway, so a missing account takes as long as a wrong password.
            User().set_password(password)
            return None
        if not user.is_active or not user.check_password(password):
            return None
        return user

    def get_user(self, user_id):
        return User.objects.filter(pk=user_id, is_active=True).first()
