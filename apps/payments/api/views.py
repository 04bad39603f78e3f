"""The payments API: thin views over services and selectors.

Renters see and pay their move-in payments; landlords see the payments for their
listings, their payouts, and refund deposits. Someone else's payment is a 404.
"""

import stripe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.payments import idempotency, provider, selectors, services
from apps.payments.api.serializers import (
    PaymentSerializer,
    PayoutSerializer,
    PayResultSerializer,
    PaySerializer,
)
from apps.payments.models import Charge, Payment
from kernel import errors
from kernel.api.exceptions import exception_handler
from kernel.api.openapi import AutoSchema, refuses
from kernel.auth.permissions import IsLandlord, IsRenter

IDEMPOTENCY_HEADER = "Idempotency-Key"
# A charge's outcome, as the pay answer's status.
PAY_STATUSES = {
    Charge.Status.SUCCEEDED: status.HTTP_200_OK,
    Charge.Status.FAILED: status.HTTP_402_PAYMENT_REQUIRED,
    Charge.Status.PROCESSING: status.HTTP_202_ACCEPTED,
}
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="Required; a repeat with the same key gets the first answer (kept for at "
    "least 24 hours); the same key with another body gets 422.",
)


class PaymentsSchema(AutoSchema):
    """The kernel's schema of an operation, knowing the two refusals only payments
    gives: 402 (declined) and 422 (a key reused), both of the shape of every refusal."""

    EXTRA = {
        402: "The card was declined; nothing was charged and the payment is due again.",
        422: "The Idempotency-Key was used for a different request.",
    }

    def _error_response(self, status: int) -> dict:
        if status not in self.EXTRA:
            return super()._error_response(status)
        return {**super()._error_response(409), "description": self.EXTRA[status]}


@extend_schema_view(
    list=extend_schema(operation_id="payments_list"),
    retrieve=extend_schema(operation_id="payments_retrieve"),
)
class PaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = PaymentSerializer
    schema = PaymentsSchema()
    role_permissions = {"pay": IsRenter, "refund_deposit": IsLandlord}

    def get_permissions(self):
        role = self.role_permissions.get(self.action)
        return [IsAuthenticated(), *([role()] if role else [])]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI generator has no user
            return Payment.objects.none()
        return selectors.payments_visible_to(user=self.request.user).order_by("-created_at", "id")

    @extend_schema(
        operation_id="payments_pay",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=PaySerializer,
        responses={
            200: PayResultSerializer,
            202: OpenApiResponse(PayResultSerializer, "Sent; the outcome is not known yet."),
        },
    )
    @refuses(errors.Conflict, 402, 422)
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        """Charge the move-in payment (rent + deposit) once, whatever the repeats."""
        key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        if not key or len(key) > idempotency.MAX_KEY_LENGTH:
            raise errors.Invalid.field(
                IDEMPOTENCY_HEADER,
                f"Send an {IDEMPOTENCY_HEADER} header of 1 to {idempotency.MAX_KEY_LENGTH} "
                "characters, the same for every retry of this payment.",
            )
        fingerprint = idempotency.request_hash("POST", request.path, request.data)

        def compute() -> idempotency.Answer:
            try:
                data = PaySerializer(data=request.data)
                data.is_valid(raise_exception=True)
                payment, charge = services.payment_pay(
                    payment_id=pk,
                    renter_id=request.user.id,
                    payment_method=data.validated_data["payment_method"],
                    client_key=key,
                )
            except Exception as error:  # the API's own answer, stored for a repeat
                refusal = exception_handler(error, {"view": self, "request": request})
                if refusal is None:
                    raise
                return idempotency.Answer(refusal.status_code, refusal.data)
            if charge.status == Charge.Status.FAILED:
                body = {"detail": charge.failure_message, "code": charge.decline_code}
            else:
                body = PayResultSerializer({"payment": payment, "charge": charge}).data
            return idempotency.Answer(PAY_STATUSES[charge.status], body)

        try:
            answer = idempotency.run(
                renter_id=request.user.id, key=key, fingerprint=fingerprint, compute=compute
            )
        except idempotency.KeyReused:
            return Response(
                {"detail": f"This {IDEMPOTENCY_HEADER} was used for a different request."},
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        response = Response(answer.body, status=answer.status)
        if answer.replayed:
            response["Idempotent-Replayed"] = "true"
        return response

    @extend_schema(
        operation_id="payments_refund_deposit", request=None, responses=PaymentSerializer
    )
    @refuses(errors.Conflict)
    @action(detail=True, methods=["post"], url_path="refund-deposit")
    def refund_deposit(self, request, pk=None):
        """The landlord refunds the deposit at move-out (once)."""
        payment = services.deposit_refund(payment_id=pk, landlord_id=request.user.id)
        return Response(PaymentSerializer(payment).data)


class PayoutViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """A landlord's scheduled payouts: rent less the platform's fee, per paid payment."""

    serializer_class = PayoutSerializer
    permission_classes = [IsAuthenticated, IsLandlord]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.payouts_of(landlord_id=None).none()
        return selectors.payouts_of(landlord_id=self.request.user.id)

    @extend_schema(operation_id="payments_payouts_list")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


class WebhookAnswerSerializer(serializers.Serializer):
    received = serializers.BooleanField()
    applied = serializers.BooleanField(
        help_text="False for a redelivery or an event about no charge."
    )


class StripeWebhookView(APIView):
    """Stripe's webhook: the signature (Stripe-Signature, our webhook secret) is the
    authentication; each event is applied once per event id."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="payments_webhook_stripe",
        request=OpenApiTypes.OBJECT,
        responses=WebhookAnswerSerializer,
    )
    def post(self, request):
        try:
            event = provider.parse_webhook(
                request.body, request.headers.get("Stripe-Signature", "")
            )
        except (stripe.SignatureVerificationError, ValueError):
            return Response(
                {"Stripe-Signature": ["The signature does not verify."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        applied = services.webhook_apply(event)
        return Response({"received": True, "applied": applied})
