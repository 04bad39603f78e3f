from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.listings import selectors
from apps.listings.api.photos import UploadedPhotoSerializer
from apps.listings.models import (
    MAX_AMENITIES,
    MAX_AMENITY_LENGTH,
    MAX_CAPTION_LENGTH,
    MAX_PHOTO_URL_LENGTH,
    MAX_PHOTOS,
    MAX_RENT,
    MIN_RENT,
    Listing,
    validate_country,
    validate_photo_url,
)
from kernel.money import MoneySerializer


class PhotoSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=MAX_PHOTO_URL_LENGTH, validators=[validate_photo_url])
    caption = serializers.CharField(max_length=MAX_CAPTION_LENGTH, allow_blank=True, default="")


class CoordinateField(serializers.DecimalField):
    """Map widgets send up to 15 decimals; 6 (about 0.1 m) is kept, not refused."""

    def __init__(self, *, limit: int, whole_digits: int) -> None:
        super().__init__(
            max_digits=whole_digits + 6,
            decimal_places=6,
            min_value=-limit,
            max_value=limit,
            allow_null=True,
            required=False,
            coerce_to_string=False,
            normalize_output=True,
        )

    def validate_precision(self, value: Decimal) -> Decimal:
        try:
            value = value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
        except InvalidOperation:  # too large to round: far outside any coordinate
            self.fail("max_digits", max_digits=self.max_digits)
        return super().validate_precision(value)


class ListingSerializer(serializers.ModelSerializer):
    """A listing in and out. Money is {"amount": "1450.00", "currency": "EUR"} and
    both parts are required whenever an amount is sent; the cross-field rules
    (deposit in the rent's currency and at most 12 months of it) are the model's,
    checked by the service against the stored listing under its lock."""

    monthly_rent = MoneySerializer()
    deposit = MoneySerializer()
    country = serializers.CharField(max_length=2, default="PT", help_text="ISO 3166-1 alpha-2")
    latitude = CoordinateField(limit=90, whole_digits=2)
    longitude = CoordinateField(limit=180, whole_digits=3)
    amenities = serializers.ListField(
        child=serializers.CharField(max_length=MAX_AMENITY_LENGTH),
        max_length=MAX_AMENITIES,
        default=list,
    )
    photos = PhotoSerializer(many=True, max_length=MAX_PHOTOS, default=list)
    images = serializers.SerializerMethodField(
        help_text="The uploaded photos, processed, in order, each in three sizes"
    )

    class Meta:
        model = Listing
        fields = [
            "id",
            "landlord_id",
            "status",
            "title",
            "description",
            "street_address",
            "city",
            "postal_code",
            "country",
            "latitude",
            "longitude",
            "monthly_rent",
            "deposit",
            "bedrooms",
            "bathrooms",
            "area_sqm",
            "amenities",
            "pets_allowed",
            "available_from",
            "photos",
            "images",
            "created_at",
            "updated_at",
            "published_at",
        ]
        read_only_fields = [
            "id",
            "landlord_id",
            "status",
            "created_at",
            "updated_at",
            "published_at",
        ]
        extra_kwargs = {
            "bathrooms": {"coerce_to_string": False, "normalize_output": True},
            "area_sqm": {"coerce_to_string": False, "normalize_output": True},
        }

    @extend_schema_field(UploadedPhotoSerializer(many=True))
    def get_images(self, listing: Listing) -> list:
        # A page's views fetch every listing's photos in one query (attach_images).
        shown = getattr(listing, "shown_photos", None)
        if shown is None:
            shown = selectors.shown_photos(listing_ids=[listing.id])[listing.id]
        return UploadedPhotoSerializer(shown, many=True).data

    def _complete_money(self, value: dict) -> dict:
        # Nested fields are optional in a PATCH; half an amount is not.
        missing = {"amount", "currency"} - set(value)
        if missing:
            raise serializers.ValidationError(
                {field: ["This field is required."] for field in sorted(missing)}
            )
        return value

    def validate_monthly_rent(self, value: dict) -> dict:
        value = self._complete_money(value)
        if not MIN_RENT <= value["amount"] <= MAX_RENT:
            raise serializers.ValidationError(
                {"amount": [f"The monthly rent must be more than 0 and at most {MAX_RENT}."]}
            )
        return value

    def validate_deposit(self, value: dict) -> dict:
        return self._complete_money(value)

    def validate_country(self, value: str) -> str:
        value = value.upper()
        validate_country(value)
        return value

    def validate_amenities(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))  # duplicates dropped, order kept

    def validate_available_from(self, value):
        # Creating a listing for the past is a mistake; an existing listing keeps
        # the date it had even once that date has passed.
        unchanged = self.instance is not None and value == self.instance.available_from
        if value < timezone.localdate() and not unchanged:
            raise serializers.ValidationError("The date may not be in the past.")
        return value


def attach_images(listings) -> None:
    """Every listing's processed photos, in one query, for ListingSerializer.images."""
    listings = list(listings)
    shown = selectors.shown_photos(listing_ids=[listing.id for listing in listings])
    for listing in listings:
        listing.shown_photos = shown[listing.id]
