"""Accounts' API: one thin view per operation; the work is in services."""

from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed, NotFound, ValidationError
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
from apps.accounts.models import PasswordResetRequest, User
from apps.accounts.selectors import user_by_id
from kernel.auth.authentication import ServiceTokenAuthentication
from kernel.auth.keys import keyring
from kernel.auth.permissions import service_called


class PublicView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    def get_authenticate_header(self, request) -> str:
        # Failed credentials are 401 with a challenge, not DRF's fallback 403.
        return 'Bearer realm="hearth"'


class RegisterView(PublicView):
    @extend_schema(request=RegisterInput, responses={201: UserOutput})
    def post(self, request):
        data = _valid(RegisterInput, request)
        try:
            user = services.user_register(**data)
        except services.EmailTaken as error:
            raise ValidationError(
                {"email": ["An account with this email already exists."]}
            ) from error
        return Response(UserOutput(user).data, status=status.HTTP_201_CREATED)


class TokenView(PublicView):
    @extend_schema(request=TokenInput, responses={200: TokenPairOutput})
    def post(self, request):
        data = _valid(TokenInput, request)
        user = authenticate(request, email=data["email"], password=data["password"])
        if user is None:
            raise AuthenticationFailed("No active account found with the given credentials.")
        return Response(sessions.tokens_for(user))


class TokenRefreshView(PublicView):
    @extend_schema(request=RefreshInput, responses={200: TokenPairOutput})
    def post(self, request):
        data = _valid(RefreshInput, request)
        return Response(sessions.tokens_refresh(raw_refresh=data["refresh"]))


class LogoutView(PublicView):
    """Ends the session of the refresh token given (holding it is proof enough):
    its tokens are refused everywhere within seconds."""

    @extend_schema(request=RefreshInput, responses={204: None})
    def post(self, request):
        data = _valid(RefreshInput, request)
        sessions.tokens_revoke(raw_refresh=data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class SignOutEverywhereView(APIView):
    """Ends every session of the signed-in user, this one included."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        sessions.sessions_revoke_all(user_id=request.user.id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class JwksView(PublicView):
    """The public keys user tokens are signed with (RFC 7517), by key id."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response(keyring().jwks(owner="accounts"))


class MeView(APIView):
    def _user(self, request) -> User:
        user = user_by_id(user_id=request.user.id)
        if user is None:
            raise NotFound("This account no longer exists.")
        return user

    @extend_schema(responses={200: UserOutput})
    def get(self, request):
        return Response(UserOutput(self._user(request)).data)

    @extend_schema(request=ProfileInput, responses={200: UserOutput})
    def patch(self, request):
        user = self._user(request)
        data = _valid(ProfileInput, request)
        user = services.user_update_profile(user_id=user.id, full_name=data["full_name"])
        return Response(UserOutput(user).data)


class PasswordResetView(PublicView):
    @extend_schema(request=PasswordResetInput, responses={202: None})
    def post(self, request):
        data = _valid(PasswordResetInput, request)
        services.password_reset_request(email=data["email"])
        # The same answer whether or not the account exists.
        return Response(
            {"detail": "If an account exists for this email, a reset link is on its way."},
            status=status.HTTP_202_ACCEPTED,
        )


class PasswordResetConfirmView(PublicView):
    @extend_schema(request=PasswordResetConfirmInput, responses={204: None})
    def post(self, request):
        data = _valid(PasswordResetConfirmInput, request)
        try:
            password_validation.validate_password(data["new_password"])
        except DjangoValidationError as error:
            raise ValidationError({"new_password": list(error.messages)}) from error
        try:
            services.password_reset_confirm(token=data["token"], new_password=data["new_password"])
        except services.ResetLinkInvalid as error:
            raise ValidationError({"token": [str(error)]}) from error
        return Response(status=status.HTTP_204_NO_CONTENT)


class ResetLinkGone(NotFound):
    status_code = status.HTTP_410_GONE
    default_detail = "This reset request has expired or was used."


class InternalResetLinkView(APIView):
    """For notifications only, with a service token: the link to put in the email.
    The link never travels in an event, which Kafka keeps forever."""

    authentication_classes = [ServiceTokenAuthentication]
    permission_classes = [service_called("notifications")]

    @extend_schema(responses={200: ResetLinkOutput})
    def get(self, request, request_id):
        reset = PasswordResetRequest.objects.filter(pk=request_id).first()
        if reset is None:
            raise NotFound("No such reset request.")
        if not reset.usable:
            raise ResetLinkGone()
        return Response({"url": services.password_reset_link(request=reset)})


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
