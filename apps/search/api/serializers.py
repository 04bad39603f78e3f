"""Search's query parameters, read strictly (a value that cannot be understood is a
400 naming the parameter), and the shapes of its answers."""

import math

from rest_framework import serializers

from apps.search import selectors

# listings' own bounds (apps/listings/api/filters.py), so the same search is valid in both.
MAX_RENT = 1_000_000
MAX_PAGE_SIZE = 50


class StrictBooleanField(serializers.BooleanField):
    """true/false (or 1/0) only: DRF's also takes "yes", "on" and the like."""

    TRUE_VALUES = {"true", "True", "1"}
    FALSE_VALUES = {"false", "False", "0"}
    default_error_messages = {"invalid": "Use true or false."}


class FiniteFloatField(serializers.FloatField):
    """A number: "nan" and "inf" are not coordinates or distances."""

    default_error_messages = {"invalid": "A valid number is required."}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


class ListingSearchQuery(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Free text; a typo or two per word is forgiven",
    )
    city = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="Exactly this city, in any case"
    )
    min_rent = serializers.DecimalField(
        required=False, max_digits=10, decimal_places=2, min_value=0, max_value=MAX_RENT
    )
    max_rent = serializers.DecimalField(
        required=False, max_digits=10, decimal_places=2, min_value=0, max_value=MAX_RENT
    )
    bedrooms = serializers.IntegerField(
        required=False, min_value=0, max_value=20, help_text="At least"
    )
    available_from = serializers.DateField(required=False, help_text="Available on or before")
    pets_allowed = StrictBooleanField(required=False, allow_null=True, default=None)
    lat = FiniteFloatField(
        required=False,
        min_value=-90,
        max_value=90,
        help_text="The point of radius search and distance sort",
    )
    lon = FiniteFloatField(required=False, min_value=-180, max_value=180)
    radius_km = FiniteFloatField(
        required=False, min_value=0.1, max_value=500, help_text="Within this many km of lat, lon"
    )
    bbox = serializers.CharField(
        required=False, max_length=100, help_text="west,south,east,north in degrees"
    )
    sort = serializers.ChoiceField(choices=list(selectors.SORTS), default="relevance")
    page = serializers.IntegerField(required=False, min_value=1, default=1)
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=12
    )
    search_after = serializers.CharField(
        required=False,
        max_length=500,
        help_text="The previous page's search_after: the page after it, however deep",
    )

    def __init__(self, *args, max_window: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.max_window = max_window

    def validate_bbox(self, value: str) -> tuple[float, float, float, float] | None:
        if not value:
            return None
        try:
            west, south, east, north = (float(part) for part in value.split(","))
        except ValueError:
            raise serializers.ValidationError("Give four numbers: west,south,east,north.") from None
        if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90):
            raise serializers.ValidationError(
                "Longitudes within ±180, latitudes within ±90, south not above north."
            )
        return west, south, east, north

    def validate(self, data):
        errors = {}
        low, high = data.get("min_rent"), data.get("max_rent")
        if low is not None and high is not None and low > high:
            errors["max_rent"] = "Must not be below min_rent."
        located = "lat" in data and "lon" in data
        if ("lat" in data) != ("lon" in data):
            errors["lon" if "lat" in data else "lat"] = "Give lat and lon together."
        if "radius_km" in data and not located:
            errors["radius_km"] = "Needs lat and lon: the point to measure from."
        if data["sort"] == "distance" and not located:
            errors["sort"] = "Sorting by distance needs lat and lon."
        if "search_after" in data:
            try:
                cursor = selectors.decode_cursor(data["search_after"])
            except ValueError as error:
                errors["search_after"] = str(error)
            else:
                if len(cursor) != selectors.sort_length(data["sort"]):
                    errors["search_after"] = "This cursor belongs to another sort."
                data["search_after"] = cursor
        elif data["page"] * data["page_size"] > self.max_window:
            errors["page"] = (
                f"Pages stop at result {self.max_window}: follow search_after to go deeper."
            )
        if errors:
            raise serializers.ValidationError(errors)
        return data

    def query(self) -> selectors.ListingQuery:
        data = {k: v for k, v in self.validated_data.items() if v is not None and v != ""}
        return selectors.ListingQuery(**data)


class MoneySerializer(serializers.Serializer):
    amount = serializers.CharField()
    currency = serializers.CharField()


class PhotoSerializer(serializers.Serializer):
    url = serializers.CharField()
    caption = serializers.CharField()


class VariantSerializer(serializers.Serializer):
    url = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class VariantsSerializer(serializers.Serializer):
    thumbnail = VariantSerializer()
    card = VariantSerializer()
    full = VariantSerializer()


class ImageSerializer(serializers.Serializer):
    """An uploaded photo as listings' photo API gives it; only shown ones reach search."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=["ready"])
    position = serializers.IntegerField()
    caption = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    variants = VariantsSerializer()


class FoundListingSerializer(serializers.Serializer):
    """A published listing, in listings' own field names."""

    id = serializers.UUIDField()
    landlord_id = serializers.UUIDField()
    status = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    street_address = serializers.CharField()
    city = serializers.CharField()
    postal_code = serializers.CharField()
    country = serializers.CharField()
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    monthly_rent = MoneySerializer()
    deposit = MoneySerializer()
    bedrooms = serializers.IntegerField()
    bathrooms = serializers.FloatField()
    area_sqm = serializers.FloatField(allow_null=True)
    amenities = serializers.ListField(child=serializers.CharField())
    pets_allowed = serializers.BooleanField()
    available_from = serializers.DateField()
    published_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()
    photos = PhotoSerializer(many=True)
    images = ImageSerializer(many=True, help_text="Uploaded photos, by position")
    distance_km = serializers.FloatField(required=False, help_text="With sort=distance only")


class TermCountSerializer(serializers.Serializer):
    value = serializers.CharField()
    count = serializers.IntegerField()


class PriceBucketSerializer(serializers.Serializer):
    value = serializers.CharField(help_text='e.g. "500-1000", "3000+"')
    min = serializers.FloatField(allow_null=True)
    max = serializers.FloatField(allow_null=True)
    count = serializers.IntegerField()


class FacetsSerializer(serializers.Serializer):
    city = TermCountSerializer(many=True)
    bedrooms = TermCountSerializer(many=True)
    pets_allowed = TermCountSerializer(many=True)
    price = PriceBucketSerializer(many=True)


class ListingSearchResultSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Listings matched")
    exact = serializers.BooleanField(
        help_text="False when count and facets are estimates from a random sample, to two "
        "significant figures: past 10,000 matches (by default) in a big index"
    )
    results = FoundListingSerializer(many=True)
    facets = FacetsSerializer(help_text="Counts over the listings the filters match")
    search_after = serializers.CharField(
        allow_null=True, help_text="Pass it back for the next page; null on the last"
    )


class SuggestQuery(serializers.Serializer):
    q = serializers.CharField(min_length=1, max_length=100, help_text="What has been typed so far")

    def validate_q(self, value: str) -> str:
        if any(ord(character) < 32 for character in value):
            raise serializers.ValidationError("Control characters cannot be completed.")
        return value


class SuggestionSerializer(serializers.Serializer):
    text = serializers.CharField()
    kind = serializers.ChoiceField(choices=["title", "city"])
    listing_id = serializers.UUIDField(allow_null=True)


class SuggestionsSerializer(serializers.Serializer):
    suggestions = SuggestionSerializer(many=True)
