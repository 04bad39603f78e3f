"""Tokens: simplejwt's, signed and checked with the key ring.

User tokens (access, refresh) are issued by accounts only; service tokens are
issued by any deployable to call another, addressed to it by audience. Every
deployable checks both locally: signature by key id, algorithm, expiry, issuer
(bound to the key's owner), audience and token type; a service token also may
live no longer than SERVICE_TOKEN_MAX_LIFETIME.

`iat` keeps microseconds (a JWT NumericDate may be fractional, RFC 7519 §2): a
session cut-off (kernel.auth.revocation) must tell a token issued just before
it from a new sign-in in the same second.
"""

from datetime import datetime, timedelta
from functools import cache
from typing import Any, ClassVar

import jwt
from django.conf import settings
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import (
    TokenBackendError,
    TokenBackendExpiredToken,
    TokenError,
)
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, Token

from kernel.auth.keys import ALGORITHM, keyring

USER_AUDIENCE = "hearth"
REQUIRED_CLAIMS = ["exp", "iat", "jti", "iss", "aud", "token_type"]
# However it was signed, a service token valid for longer is refused: a leaked one
# is worth minutes, not years.
SERVICE_TOKEN_MAX_LIFETIME = timedelta(minutes=5)


def issuer(service: str) -> str:
    return f"hearth-{service}"


def service_audience(service: str) -> str:
    return f"hearth-{service}"


class KeyRingTokenBackend(TokenBackend):
    def __init__(self) -> None:
        super().__init__(ALGORITHM, leeway=settings.SIMPLE_JWT.get("LEEWAY", 0))

    def encode(self, payload: dict[str, Any]) -> str:
        ring = keyring()
        if ring.signing_key is None:
            raise TokenBackendError(f"{ring.service} has no signing key")
        claims = {"aud": USER_AUDIENCE, **payload, "iss": issuer(ring.service)}
        return jwt.encode(
            claims, ring.signing_key, algorithm=ALGORITHM, headers={"kid": ring.signing_kid}
        )

    def decode(self, token: str, verify: bool = True) -> dict[str, Any]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.InvalidTokenError as error:
            raise TokenBackendError("Token is invalid") from error
        key = keyring().trusted.get(kid)
        if key is None:
            raise TokenBackendError("Token is signed with an unknown key")
        try:
            return jwt.decode(
                token,
                key.public_key,
                algorithms=[ALGORITHM],  # never the header's choice
                audience=[USER_AUDIENCE, service_audience(keyring().service)],
                issuer=issuer(key.owner),
                leeway=self.get_leeway(),
                options={"require": REQUIRED_CLAIMS, "verify_signature": verify},
            )
        except jwt.ExpiredSignatureError as error:
            raise TokenBackendExpiredToken("Token is expired") from error
        except jwt.InvalidTokenError as error:
            raise TokenBackendError(f"Token is invalid: {error}") from error


@cache
def token_backend() -> KeyRingTokenBackend:
    return KeyRingTokenBackend()


class KeyRingToken(Token):
    """Checks, beyond simplejwt's, who issued the token and whom it is for."""

    issued_by: ClassVar[str | None] = "accounts"  # None: any trusted service
    audience: ClassVar[str] = USER_AUDIENCE

    def get_token_backend(self) -> TokenBackend:
        return token_backend()

    def set_iat(self, claim: str = "iat", at_time: datetime | None = None) -> None:
        self.payload[claim] = round((at_time or self.current_time).timestamp(), 6)

    def verify(self) -> None:
        super().verify()
        if self.issued_by and self.payload["iss"] != issuer(self.issued_by):
            raise TokenError("Token was issued by the wrong service")
        if self.payload["aud"] != self._expected_audience():
            raise TokenError("Token is meant for another audience")

    def _expected_audience(self) -> str:
        return self.audience


class UserAccessToken(KeyRingToken, AccessToken):
    pass


class UserRefreshToken(KeyRingToken, RefreshToken):
    access_token_class = UserAccessToken


class ServiceToken(KeyRingToken):
    """A deployable's proof of identity when it calls another: short-lived, and
    addressed to one service (aud = hearth-<callee>)."""

    token_type = "service"  # noqa: S105 (a claim value, not a secret)
    lifetime = timedelta(seconds=60)
    issued_by = None

    def _expected_audience(self) -> str:
        return service_audience(settings.HEARTH_SERVICE)

    def verify(self) -> None:
        super().verify()  # `iat` is required, like `exp`
        leeway = self.get_token_backend().get_leeway().total_seconds()
        lifetime = self.payload["exp"] - self.payload["iat"]
        if lifetime > SERVICE_TOKEN_MAX_LIFETIME.total_seconds() + leeway:
            raise TokenError("Service token lives longer than a service token may")

    @property
    def caller(self) -> str:
        return self.payload["iss"].removeprefix("hearth-")

    @classmethod
    def for_callee(cls, callee: str) -> "ServiceToken":
        token = cls()
        token["aud"] = service_audience(callee)
        token["sub"] = f"service:{settings.HEARTH_SERVICE}"
        return token
