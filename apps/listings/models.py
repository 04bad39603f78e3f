import uuid
from decimal import Decimal
from typing import Any

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.db.models.functions import Mod, Upper
from django.db.models.lookups import Exact

from apps.listings.contracts import ListingStatus
from apps.listings.countries import ISO_3166_ALPHA2
from kernel.db.choices import choices_of
from kernel.money import SUPPORTED_CURRENCIES

MIN_RENT = Decimal("0.01")
MAX_RENT = Decimal("1000000.00")
MAX_DEPOSIT_MONTHS = 12
MAX_AMENITIES = 30
MAX_AMENITY_LENGTH = 50
MAX_PHOTOS = 30
MAX_PHOTO_URL_LENGTH = 500
MAX_CAPTION_LENGTH = 200
# The text-search configuration of the search vector and of every query against it;
# see selectors.search_listings for why.
SEARCH_CONFIG = "english"

validate_photo_url = URLValidator(schemes=["http", "https"])


def validate_country(value: str) -> None:
    if value not in ISO_3166_ALPHA2:
        raise ValidationError(
            "Enter an ISO 3166-1 alpha-2 country code, such as PT.", code="invalid_country"
        )


def validate_half_step(value: Decimal) -> None:
    if (value * 2) % 1:
        raise ValidationError("Use steps of 0.5.", code="half_step")


def validate_amenities(value: Any) -> None:
    if not isinstance(value, list) or len(value) > MAX_AMENITIES:
        raise ValidationError(f"Give a list of at most {MAX_AMENITIES} amenities.")
    for amenity in value:
        if not isinstance(amenity, str) or not amenity or len(amenity) > MAX_AMENITY_LENGTH:
            raise ValidationError(
                f"Each amenity is a text of 1 to {MAX_AMENITY_LENGTH} characters."
            )


def validate_photos(value: Any) -> None:
    if not isinstance(value, list) or len(value) > MAX_PHOTOS:
        raise ValidationError(f"Give a list of at most {MAX_PHOTOS} photos.")
    for photo in value:
        if not isinstance(photo, dict) or set(photo) - {"url", "caption"}:
            raise ValidationError("Each photo is an object with a url and a caption.")
        url, caption = photo.get("url"), photo.get("caption", "")
        if not isinstance(url, str) or len(url) > MAX_PHOTO_URL_LENGTH:
            raise ValidationError(f"A photo url is at most {MAX_PHOTO_URL_LENGTH} characters.")
        validate_photo_url(url)
        if not isinstance(caption, str) or len(caption) > MAX_CAPTION_LENGTH:
            raise ValidationError(f"A caption is at most {MAX_CAPTION_LENGTH} characters.")


class Listing(models.Model):
    """An apartment offered by a landlord: a draft until published, in search while
    published, and out of search once unpublished or let."""

    # Anyone may see these; a draft or unpublished listing only its landlord.
    PUBLIC_STATUSES = (ListingStatus.PUBLISHED, ListingStatus.LET)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    landlord_id = models.UUIDField(db_index=True)
    status = models.CharField(
        max_length=12, choices=choices_of(ListingStatus), default=ListingStatus.DRAFT
    )

    title = models.CharField(max_length=120)
    description = models.TextField(max_length=5000, blank=True, default="")
    street_address = models.CharField(max_length=200)
    city = models.CharField(max_length=100)
    postal_code = models.CharField(max_length=20)
    country = models.CharField(max_length=2, default="PT", validators=[validate_country])
    latitude = models.DecimalField(
        max_digits=8,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )

    rent_amount = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(MIN_RENT), MaxValueValidator(MAX_RENT)],
    )
    rent_currency = models.CharField(
        max_length=3, choices=[(c, c) for c in SUPPORTED_CURRENCIES], default="EUR"
    )
    deposit_amount = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    deposit_currency = models.CharField(
        max_length=3, choices=[(c, c) for c in SUPPORTED_CURRENCIES], default="EUR"
    )

    bedrooms = models.PositiveSmallIntegerField(validators=[MaxValueValidator(20)])
    bathrooms = models.DecimalField(
        max_digits=3,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(20), validate_half_step],
    )
    area_sqm = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(10000)],
    )
    amenities = models.JSONField(default=list, blank=True, validators=[validate_amenities])
    pets_allowed = models.BooleanField(default=False)
    available_from = models.DateField()
    photos = models.JSONField(default=list, blank=True, validators=[validate_photos])

    # Kept by PostgreSQL itself, so no write path can forget it; GIN-indexed below.
    search_vector = models.GeneratedField(
        expression=SearchVector("title", "description", "city", config=SEARCH_CONFIG),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            GinIndex(fields=["search_vector"], name="listing_search_vector"),
            # Search only ever reads published rows: partial indexes stay as small
            # as the live market, whatever the history of drafts and lets. The
            # orderings end in id, the tie-break that keeps pages from overlapping.
            models.Index(
                fields=["-published_at", "-id"],
                condition=models.Q(status=ListingStatus.PUBLISHED),
                name="listing_published_recent",
            ),
            models.Index(
                fields=["rent_amount", "id"],
                condition=models.Q(status=ListingStatus.PUBLISHED),
                name="listing_published_rent",
            ),
            models.Index(
                Upper("city"),
                condition=models.Q(status=ListingStatus.PUBLISHED),
                name="listing_published_city",
            ),
        ]
        # The last line of defence behind the validators: no write path, admin or
        # shell included, can store a listing the API would refuse.
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=[status.value for status in ListingStatus]),
                name="listing_status_known",
            ),
            models.CheckConstraint(
                condition=models.Q(rent_amount__gte=MIN_RENT, rent_amount__lte=MAX_RENT),
                name="listing_rent_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    deposit_amount__gte=0,
                    deposit_amount__lte=models.F("rent_amount") * MAX_DEPOSIT_MONTHS,
                ),
                name="listing_deposit_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(deposit_currency=models.F("rent_currency")),
                name="listing_deposit_in_rent_currency",
            ),
            models.CheckConstraint(
                condition=models.Q(bedrooms__lte=20), name="listing_bedrooms_in_range"
            ),
            models.CheckConstraint(
                condition=models.Q(bathrooms__gte=0, bathrooms__lte=20)
                & Exact(Mod(models.F("bathrooms") * 2, 1), 0),
                name="listing_bathrooms_in_half_steps",
            ),
            models.CheckConstraint(
                condition=models.Q(area_sqm__isnull=True)
                | models.Q(area_sqm__gte=1, area_sqm__lte=10000),
                name="listing_area_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True, longitude__isnull=True)
                | models.Q(
                    latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180
                ),
                name="listing_coordinates_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.city}, {self.status})"

    # The API and events speak money as {"amount", "currency"}; the table keeps two
    # columns per amount so it can filter and sort on the amount.
    @property
    def monthly_rent(self) -> dict[str, Any]:
        return {"amount": self.rent_amount, "currency": self.rent_currency}

    @monthly_rent.setter
    def monthly_rent(self, value: dict[str, Any]) -> None:
        self.rent_amount, self.rent_currency = value["amount"], value["currency"]

    @property
    def deposit(self) -> dict[str, Any]:
        return {"amount": self.deposit_amount, "currency": self.deposit_currency}

    @deposit.setter
    def deposit(self, value: dict[str, Any]) -> None:
        self.deposit_amount, self.deposit_currency = value["amount"], value["currency"]

    @property
    def is_public(self) -> bool:
        return self.status in self.PUBLIC_STATUSES

    def clean(self) -> None:
        errors = {}
        if self.deposit_currency != self.rent_currency:
            errors["deposit"] = "The deposit must be in the rent's currency."
        elif (
            self.rent_amount is not None
            and self.deposit_amount is not None
            and self.deposit_amount > self.rent_amount * MAX_DEPOSIT_MONTHS
        ):
            errors["deposit"] = f"The deposit may be at most {MAX_DEPOSIT_MONTHS} months' rent."
        if (self.latitude is None) != (self.longitude is None):
            errors["latitude"] = "Give both latitude and longitude, or neither."
        if errors:
            raise ValidationError(errors)


class Photo(models.Model):
    """A photo a landlord uploaded for one of their listings (apps.listings.photos
    says what is accepted). Its original waits in object storage under
    `original_key` until the worker has made its variants; then `variants` names
    them ({name: {key, width, height}}) and the photo is ready and shown."""

    class Status(models.TextChoices):
        AWAITING_UPLOAD = "awaiting_upload"  # presigned: the client has not confirmed yet
        PROCESSING = "processing"
        READY = "ready"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No foreign key: photos are distributed by their own id (sharding.py), and a
    # listing's deletion removes its photos itself (services.listing_delete).
    listing_id = models.UUIDField(db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    position = models.PositiveSmallIntegerField(default=0)
    caption = models.CharField(max_length=MAX_CAPTION_LENGTH, blank=True, default="")
    original_key = models.CharField(max_length=200)
    content_type = models.CharField(max_length=20, blank=True, default="")
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    variants = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "created_at"]
        # The sweeps (services.photos_sweep) look for stalled and expired photos.
        indexes = [models.Index(fields=["status", "updated_at"], name="photo_status_updated")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["awaiting_upload", "processing", "ready", "failed"]),
                name="photo_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"photo {self.id} of {self.listing_id} ({self.status})"
