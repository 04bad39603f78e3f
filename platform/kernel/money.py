"""Money on the wire: {"amount": "1450.00", "currency": "EUR"}. Amounts are
decimals with two places, never floats; stored as two columns."""

from decimal import Decimal

from rest_framework import serializers

SUPPORTED_CURRENCIES = ("EUR", "USD", "GBP", "CHF", "PLN", "SEK", "DKK", "NOK", "CZK")
# Above any real monthly rent, deposit or income, and within the events' 9-digit schema.
MAX_AMOUNT = Decimal("10000000.00")


class MoneySerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=Decimal("0.00"), max_value=MAX_AMOUNT
    )
    currency = serializers.ChoiceField(choices=SUPPORTED_CURRENCIES)


def money(amount: Decimal, currency: str) -> dict[str, str]:
    """The event and API form of an amount."""
    return {"amount": f"{amount:.2f}", "currency": currency}
