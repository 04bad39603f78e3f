from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.payments import ledger
from apps.payments.models import Account, Charge, Payment, Payout
from kernel.money import MoneySerializer, money


class PaySerializer(serializers.Serializer):
    payment_method = serializers.RegexField(
        r"^pm_[A-Za-z0-9_]{1,97}$",
        max_length=100,
        help_text="A Stripe PaymentMethod id (pm_...); locally one of Stripe's test methods, "
        "e.g. pm_card_visa, or pm_card_chargeDeclined for a decline.",
        error_messages={"invalid": "Give a Stripe payment method id (pm_...)."},
    )


class ChargeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Charge
        fields = ["id", "status", "decline_code", "failure_message", "created_at", "settled_at"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    rent = serializers.SerializerMethodField()
    deposit = serializers.SerializerMethodField()
    fee = serializers.SerializerMethodField()
    total = serializers.SerializerMethodField()
    amount_due = serializers.SerializerMethodField(
        help_text="What the renter still owes: the renter's receivable in the ledger."
    )

    class Meta:
        model = Payment
        fields = [
            "id",
            "application_id",
            "listing_id",
            "listing_title",
            "renter_id",
            "landlord_id",
            "status",
            "rent",
            "deposit",
            "fee",
            "total",
            "amount_due",
            "due_date",
            "created_at",
            "paid_at",
            "deposit_refunded_at",
        ]
        read_only_fields = fields

    def _money(self, payment: Payment, amount) -> dict[str, str]:
        return money(amount, payment.currency)

    @extend_schema_field(MoneySerializer)
    def get_rent(self, payment: Payment) -> dict[str, str]:
        return self._money(payment, payment.rent_amount)

    @extend_schema_field(MoneySerializer)
    def get_deposit(self, payment: Payment) -> dict[str, str]:
        return self._money(payment, payment.deposit_amount)

    @extend_schema_field(MoneySerializer)
    def get_fee(self, payment: Payment) -> dict[str, str]:
        return self._money(payment, payment.fee_amount)

    @extend_schema_field(MoneySerializer)
    def get_total(self, payment: Payment) -> dict[str, str]:
        return self._money(payment, payment.total)

    @extend_schema_field(MoneySerializer)
    def get_amount_due(self, payment: Payment) -> dict[str, str]:
        # Derived from the ledger, never stored.
        return self._money(payment, ledger.payment_balance(payment, Account.RENTER_RECEIVABLE))


class PayResultSerializer(serializers.Serializer):
    payment = PaymentSerializer()
    charge = ChargeSerializer()


class PayoutSerializer(serializers.ModelSerializer):
    amount = serializers.SerializerMethodField()
    payment_id = serializers.UUIDField(
        source="id", help_text="The paid payment's (and the payout's) id."
    )

    class Meta:
        model = Payout
        fields = ["payment_id", "landlord_id", "amount", "scheduled_for", "created_at"]
        read_only_fields = fields

    @extend_schema_field(MoneySerializer)
    def get_amount(self, payout: Payout) -> dict[str, str]:
        return money(payout.amount, payout.currency)
