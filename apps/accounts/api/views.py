"""Accounts' API: one thin view per operation; the work is in services."""

import time
from contextlib import suppress

from django.conf import settings
from django.contrib.auth import authenticate
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed, NotFound, Throttled
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import services, sessions
from apps.accounts.api.serializers import (
    PasswordResetConfirmInput,
    PasswordResetInput,
    ProfileInput,
    RefreshInput,
    RegisterInput,
    ResetLinkOutput,
    TokenInput,
    TokenPairOutput,
    UserOutput,
)
from apps.accounts.api.throttles import RefreshPerAccount, RegisterPerEmail, per_address
from apps.accounts.backends import sign_in_locked
from apps.accounts.models import User
from apps.accounts.selectors import user_by_id
from kernel import errors
from kernel.api.openapi import refuses
from kernel.auth.authentication import ServiceTokenAuthentication
from kernel.auth.keys import keyring
from kernel.auth.permissions import service_called


class PublicView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    def get_authenticate_header(self, request) -> str:
        # Failed credentials are 401 with a challenge, not DRF's fallback 403.
        return 'Bearer realm="hearth"'


class DetailOutput(serializers.Serializer):
    detail = serializers.CharField()


# The one answer to a valid registration, whether the email was free or not: who
# has an account is nobody's business. A new account can sign in at once; with a
# taken email the sign-in fails like any wrong password.
REGISTERED = {"detail": "Thank you. If this email was free, your account is ready: sign in."}


class RegisterView(PublicView):
    throttle_classes = [per_address("register_address"), RegisterPerEmail]

    @extend_schema(
        operation_id="accounts_register", request=RegisterInput, responses={202: DetailOutput}
    )
    def post(self, request):
        data = _valid(RegisterInput, request)
        # The same answer for a taken email, after the same work (the password was hashed).
        with suppress(services.EmailTaken):
            services.user_register(**data)
        return Response(REGISTERED, status=status.HTTP_202_ACCEPTED)


class TokenView(PublicView):
    throttle_classes = [per_address("sign_in_address")]

    @extend_schema(operation_id="auth_token", request=TokenInput, responses={200: TokenPairOutput})
    @refuses(AuthenticationFailed)
    def post(self, request):
        data = _valid(TokenInput, request)
        # Too many failures for this email: refused, right password or not, account or not.
        if wait := sign_in_locked(data["email"]):
            raise Throttled(wait, "Too many failed sign-ins with this email. Try again later.")
        user = authenticate(request, email=data["email"], password=data["password"])
        if user is None:
            raise AuthenticationFailed("No active account found with the given credentials.")
        return Response(sessions.tokens_for(user))


class TokenRefreshView(PublicView):
    throttle_classes = [per_address("refresh_address"), RefreshPerAccount]

    @extend_schema(
        operation_id="auth_token_refresh", request=RefreshInput, responses={200: TokenPairOutput}
    )
    @refuses(sessions.InvalidRefreshToken)
    def post(self, request):
        data = _valid(RefreshInput, request)
        return Response(sessions.tokens_refresh(raw_refresh=data["refresh"]))


class LogoutView(PublicView):
    """Ends the session of the refresh token given (holding it is proof enough):
    its tokens are refused everywhere within seconds."""

    @extend_schema(operation_id="auth_logout", request=RefreshInput, responses={204: None})
    @refuses(sessions.InvalidRefreshToken)
    def post(self, request):
        data = _valid(RefreshInput, request)
        sessions.tokens_revoke(raw_refresh=data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class SignOutEverywhereView(APIView):
    """Ends every session of the signed-in user, this one included."""

    @extend_schema(operation_id="auth_logout_everywhere", request=None, responses={204: None})
    def post(self, request):
        sessions.sessions_revoke_all(user_id=request.user.id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class JwksView(PublicView):
    """The public keys user tokens are signed with (RFC 7517), by key id."""

    @extend_schema(operation_id="auth_jwks", responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response(keyring().jwks(owner="accounts"))


class MeView(APIView):
    def _user(self, request) -> User:
        user = user_by_id(user_id=request.user.id)
        if user is None:
            raise NotFound("This account no longer exists.")
        return user

    @extend_schema(operation_id="accounts_me", responses={200: UserOutput})
    @refuses(errors.NotFound)
    def get(self, request):
        return Response(UserOutput(self._user(request)).data)

    @extend_schema(
        operation_id="accounts_me_update", request=ProfileInput, responses={200: UserOutput}
    )
    @refuses(errors.NotFound)
    def patch(self, request):
        user = self._user(request)
        # A PATCH: what it leaves out stays as it is.
        data = _valid(ProfileInput, request, partial=True)
        if "full_name" in data:
            user = services.user_update_profile(user_id=user.id, full_name=data["full_name"])
        return Response(UserOutput(user).data)


class PasswordResetView(PublicView):
    throttle_classes = [per_address("reset_address")]

    @extend_schema(
        operation_id="accounts_password_reset",
        request=PasswordResetInput,
        responses={202: DetailOutput},
    )
    def post(self, request):
        data = _valid(PasswordResetInput, request)
        started = time.monotonic()
        services.password_reset_request(email=data["email"])
        # The same answer whether or not the account exists, and at the same time:
        # starting a reset writes rows that an unknown email does not, a few
        # milliseconds that would tell. Every answer waits out the same floor.
        time.sleep(max(0.0, settings.PASSWORD_RESET_ANSWER_SECONDS - (time.monotonic() - started)))
        return Response(
            {"detail": "If an account exists for this email, a reset link is on its way."},
            status=status.HTTP_202_ACCEPTED,
        )


class PasswordResetConfirmView(PublicView):
    throttle_classes = [per_address("reset_confirm_address")]

    @extend_schema(
        operation_id="accounts_password_reset_confirm",
        request=PasswordResetConfirmInput,
        responses={204: None},
    )
    def post(self, request):
        data = _valid(PasswordResetConfirmInput, request)
        services.password_reset_confirm(token=data["token"], new_password=data["new_password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class InternalResetLinkView(APIView):
    """For notifications only, with a service token, when it sends the email: a new
    link, whose token replaces any earlier one of the request. The link never
    travels in an event, which Kafka keeps forever. Not idempotent on purpose:
    a retry gets a fresh link and voids the one it lost."""

    authentication_classes = [ServiceTokenAuthentication]
    permission_classes = [service_called("notifications")]

    @extend_schema(
        operation_id="accounts_internal_reset_link",
        request=None,
        responses={200: ResetLinkOutput},
    )
    @refuses(errors.NotFound, status.HTTP_410_GONE)
    def post(self, request, request_id):
        try:
            url = services.password_reset_issue_link(request_id=request_id)
        except services.ResetRequestGone as gone:  # a status the domain has no word for
            return Response({"detail": gone.message}, status=status.HTTP_410_GONE)
        return Response({"url": url})


def _valid(serializer_class, request, *, partial: bool = False) -> dict:
    serializer = serializer_class(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
