"""The payments context's REST API, served under /api/v1/payments/."""

from django.urls import path

from apps.payments.api.views import PaymentViewSet, PayoutViewSet, StripeWebhookView
from kernel.api.routers import ApiRouter

router = ApiRouter()
# Before payments/{id}, which would not match these anyway (ids are UUIDs).
router.register("payments/payouts", PayoutViewSet, basename="payout")
router.register("payments", PaymentViewSet, basename="payment")

urlpatterns = [
    path("payments/webhooks/stripe", StripeWebhookView.as_view(), name="stripe-webhook"),
    *router.urls,
]
