"""Browser sign-in on top of the API's tokens.

Signing in exchanges email and password for accounts' token pair; the pair is
kept in the server-side session (Redis), never in the browser, which holds only
the session cookie (HttpOnly, SameSite=Lax, Secure outside local). Each request
checks the access token locally, as every deployable does, and rotates the pair
through accounts shortly before the access token expires.
"""

import logging
import time
from dataclasses import dataclass

from rest_framework_simplejwt.exceptions import TokenError

from frontend.api import ACCOUNTS, api, forwarded_for
from kernel.auth.tokens import UserAccessToken
from kernel.http import ServiceUnavailable

logger = logging.getLogger(__name__)

SESSION_KEY = "hearth_tokens"
REFRESH_AHEAD_SECONDS = 60


@dataclass(frozen=True)
class SignedInUser:
    id: str
    role: str
    email: str
    full_name: str
    access_token: str
    is_staff: bool = False  # Hearth's operations staff (accounts' `staff` claim)

    @property
    def is_landlord(self) -> bool:
        return self.role == "landlord"

    @property
    def is_renter(self) -> bool:
        return self.role == "renter"


def sign_in(request, tokens: dict[str, str]) -> SignedInUser:
    request.session.cycle_key()  # a new session id at sign-in: no session fixation
    request.session[SESSION_KEY] = tokens
    request.hearth_user = _user_from(tokens["access"])
    return request.hearth_user


def sign_out(request) -> None:
    tokens = request.session.get(SESSION_KEY)
    if tokens:
        try:
            api(ACCOUNTS).post(
                "/api/v1/auth/logout", json={"refresh": tokens["refresh"]}, anonymous=True
            )
        except ServiceUnavailable:
            logger.warning("could not revoke the refresh token at sign-out")
    request.session.flush()
    request.hearth_user = None


def _user_from(access: str, token: UserAccessToken | None = None) -> SignedInUser:
    """The user an access token names; `token` if the caller has already checked it."""
    if token is None:
        token = UserAccessToken(access)
    return SignedInUser(
        id=token["sub"],
        role=token.get("role", ""),
        email=token.get("email", ""),
        full_name=token.get("name", ""),
        access_token=access,
        is_staff=bool(token.get("staff", False)),
    )


def _current_user(request) -> SignedInUser | None:
    tokens = request.session.get(SESSION_KEY)
    if not tokens:
        return None
    try:
        access = UserAccessToken(tokens["access"])
        if access["exp"] - time.time() > REFRESH_AHEAD_SECONDS:
            return _user_from(tokens["access"], access)
    except TokenError:
        pass  # expired or from a retired key: try the refresh token
    return _refreshed(request, tokens)


def _refreshed(request, tokens: dict[str, str]) -> SignedInUser | None:
    try:
        response = api(ACCOUNTS).post(
            "/api/v1/auth/token/refresh",
            json={"refresh": tokens["refresh"]},
            anonymous=True,
            headers=forwarded_for(request),  # accounts limits refreshes per address
        )
    except ServiceUnavailable:
        # accounts is down: keep the session; the access token may still work a while.
        try:
            return _user_from(tokens["access"])
        except TokenError:
            return None
    if response.status_code == 429:  # refreshing too often: not a reason to sign out
        try:
            return _user_from(tokens["access"])
        except TokenError:
            return None
    if response.status_code != 200:
        request.session.pop(SESSION_KEY, None)  # revoked or expired: signed out
        return None
    request.session[SESSION_KEY] = response.json()
    return _user_from(response.json()["access"])


class SignedInUserMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        request.hearth_user = _current_user(request)
        return self.get_response(request)


def signed_in_user(request) -> dict:
    """Template context: `hearth_user`, the signed-in user or None."""
    return {"hearth_user": getattr(request, "hearth_user", None)}
