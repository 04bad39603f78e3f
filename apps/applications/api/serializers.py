from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.applications.contracts import ClosedReason
from apps.applications.models import MAX_MESSAGE_LENGTH, MAX_OCCUPANTS, Application
from kernel.db.choices import choices_of
from kernel.money import MoneySerializer, money


class UnsetAsNullChoiceField(serializers.ChoiceField):
    """A choice the model stores as "" while unset, shown as null: "" is no choice."""

    def to_representation(self, value):
        return None if value == "" else super().to_representation(value)


class ApplicationSubmitSerializer(serializers.Serializer):
    listing_id = serializers.UUIDField()
    move_in_date = serializers.DateField()
    occupants = serializers.IntegerField(min_value=1, max_value=MAX_OCCUPANTS)
    monthly_income = MoneySerializer()
    message = serializers.CharField(
        max_length=MAX_MESSAGE_LENGTH, allow_blank=True, required=False, default=""
    )


class ApplicationSerializer(serializers.ModelSerializer):
    closed_reason = UnsetAsNullChoiceField(
        choices=choices_of(ClosedReason),
        allow_null=True,
        help_text="Why the application was closed; null unless its status is closed.",
    )
    monthly_income = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "id",
            "listing_id",
            "listing_title",
            "landlord_id",
            "renter_id",
            "renter_name",
            "status",
            "closed_reason",
            "move_in_date",
            "occupants",
            "monthly_income",
            "message",
            "submitted_at",
            "decided_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(MoneySerializer)
    def get_monthly_income(self, application: Application) -> dict[str, str]:
        return money(application.monthly_income_amount, application.monthly_income_currency)
