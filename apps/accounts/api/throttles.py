"""DRF throttles on accounts' limits (apps/accounts/limits.py): a refusal is DRF's
429 with Retry-After. Per address, the client is the last X-Forwarded-For hop
(NUM_PROXIES=1, config/settings/accounts.py), so a spoofed header changes nothing."""

from rest_framework.throttling import BaseThrottle
from rest_framework_simplejwt.exceptions import TokenError

from apps.accounts import limits
from apps.accounts.selectors import normalize_email
from kernel import errors
from kernel.auth.tokens import UserRefreshToken


class LimitThrottle(BaseThrottle):
    scope: str

    def subject(self, request, view) -> str | None:
        """What is counted; None counts nothing."""
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        subject = self.subject(request, view)
        self._wait = None if subject is None else limits.hit(self.scope, subject)
        return self._wait is None

    def wait(self) -> int | None:
        return self._wait


class PerAddress(LimitThrottle):
    def subject(self, request, view) -> str:
        return self.get_ident(request)


def per_address(scope_name: str) -> type[PerAddress]:
    return type(f"PerAddress_{scope_name}", (PerAddress,), {"scope": scope_name})


def email_of(request) -> str | None:
    """The request body's email in its stored form; None if there is none worth counting
    (the view's validation then answers 400)."""
    email = request.data.get("email") if hasattr(request.data, "get") else None
    if not isinstance(email, str):
        return None
    try:
        return normalize_email(email)
    except errors.Invalid:
        return None


class PerEmail(LimitThrottle):
    """Counted whether or not the email has an account, so a refusal reveals nothing."""

    def subject(self, request, view) -> str | None:
        return email_of(request)


class RegisterPerEmail(PerEmail):
    scope = "register_email"


class RefreshPerAccount(LimitThrottle):
    """Per account whose refresh token it is: only a token that verifies counts, so
    nobody can use up someone else's allowance with made-up tokens."""

    scope = "refresh_account"

    def subject(self, request, view) -> str | None:
        raw = request.data.get("refresh") if hasattr(request.data, "get") else None
        if not isinstance(raw, str):
            return None
        try:
            return str(UserRefreshToken(raw)["sub"])
        except (TokenError, KeyError):
            return None
