"""Who is calling: a user with an access token, or another deployable with a
service token. Neither needs a call to accounts: the token carries all we use, and
whether its session has ended is in this deployable's Redis (kernel.auth.revocation)."""

from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.models import TokenUser
from rest_framework_simplejwt.tokens import Token

from kernel.auth import revocation
from kernel.auth.tokens import ServiceToken

RENTER = "renter"
LANDLORD = "landlord"


class Principal(TokenUser):
    """The signed-in user, from the claims accounts put in the token."""

    @property
    def role(self) -> str:
        return self.token.get("role", "")

    @property
    def email(self) -> str:
        return self.token.get("email", "")

    @property
    def full_name(self) -> str:
        return self.token.get("name", "")

    @property
    def is_renter(self) -> bool:
        return self.role == RENTER

    @property
    def is_landlord(self) -> bool:
        return self.role == LANDLORD


class UserTokenAuthentication(JWTStatelessUserAuthentication):
    """Access tokens (settings AUTH_TOKEN_CLASSES), as a Principal, unless the
    token's session has ended (signed out, refresh token reused, password reset)."""

    def get_validated_token(self, raw_token: bytes) -> Token:
        token = super().get_validated_token(raw_token)
        if revocation.is_revoked(token.payload):
            raise InvalidToken({"detail": "This session has ended. Sign in again."})
        return token


class ServicePrincipal:
    is_authenticated = True
    is_anonymous = False

    def __init__(self, token: ServiceToken) -> None:
        self.token = token
        self.service = token.caller

    def __str__(self) -> str:
        return f"service:{self.service}"


class ServiceTokenAuthentication(JWTStatelessUserAuthentication):
    """Only service tokens addressed to this deployable: for internal endpoints."""

    def get_validated_token(self, raw_token: bytes) -> ServiceToken:
        try:
            return ServiceToken(raw_token)
        except TokenError as error:
            raise InvalidToken({"detail": str(error)}) from error

    def get_user(self, validated_token: ServiceToken) -> ServicePrincipal:
        return ServicePrincipal(validated_token)
