"""Staff sign in to every deployable's Django admin with their Hearth account.

One identity, no shared table: the admin login form's email and password go to
accounts' token endpoint; the access token that comes back says whether the
person is staff. If so, the deployable keeps a shadow user in its own schema
(username = the account's id), marked staff, which Django's admin sessions and
log refer to. Each sign-in asks accounts again, so taking staff rights away in
accounts takes effect at the next sign-in (admin sessions last 8 hours).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from rest_framework_simplejwt.exceptions import TokenError

from kernel.auth.tokens import UserAccessToken
from kernel.http import ServiceClient, ServiceUnavailable


class HearthAccountBackend(BaseBackend):
    def authenticate(self, request, username: str | None = None, password: str | None = None, **kw):
        if not username or not password:
            return None
        try:
            response = ServiceClient("accounts").post(
                "/api/v1/auth/token", json={"email": username, "password": password}, anonymous=True
            )
        except ServiceUnavailable:
            return None  # the login form says the credentials did not work; logs say why
        if response.status_code != 200:
            return None
        try:
            claims = UserAccessToken(response.json()["access"]).payload
        except TokenError:
            return None
        if not claims.get("staff"):
            return None
        return self._shadow_user(claims)

    def _shadow_user(self, claims: dict):
        user, _ = get_user_model().objects.update_or_create(
            username=claims["sub"],
            defaults={
                "email": claims.get("email", ""),
                "first_name": claims.get("name", "")[:150],
                "is_staff": True,
                "is_superuser": bool(claims.get("superuser")),
                "is_active": True,
            },
        )
        if user.has_usable_password():
            user.set_unusable_password()  # the password lives in accounts only
            user.save(update_fields=["password"])
        return user

    def get_user(self, user_id):
        return get_user_model().objects.filter(pk=user_id, is_active=True, is_staff=True).first()
