"""Search filters of GET /api/v1/listings. A value that cannot be understood is a
400 naming the parameter, never silently ignored."""

from django import forms
from django.db.models import QuerySet
from django_filters import rest_framework as filters

from apps.listings import selectors
from apps.listings.models import MAX_RENT, Listing

# ordering value -> model field; id breaks ties so pages never overlap.
ORDERINGS = {
    "rent": "rent_amount",
    "-rent": "-rent_amount",
    "available_from": "available_from",
    "-available_from": "-available_from",
    "published_at": "published_at",
    "-published_at": "-published_at",
}


class StrictBooleanField(forms.Field):
    """true/false (or 1/0): django-filter's BooleanFilter reads "maybe" as no filter."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip().lower()
        if text in {"true", "1"}:
            return True
        if text in {"false", "0"}:
            return False
        raise forms.ValidationError("Use true or false.", code="invalid")


class StrictBooleanFilter(filters.Filter):
    field_class = StrictBooleanField


class IntegerFilter(filters.NumberFilter):
    field_class = forms.IntegerField


class ListingSearchForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_rent"), cleaned.get("max_rent")
        if low is not None and high is not None and low > high:
            self.add_error("max_rent", "Must not be below min_rent.")
        return cleaned


def _rent_filter(lookup: str) -> filters.NumberFilter:
    return filters.NumberFilter(
        field_name="rent_amount",
        lookup_expr=lookup,
        min_value=0,
        max_value=MAX_RENT,
        max_digits=10,
        decimal_places=2,
    )


class ListingSearchFilter(filters.FilterSet):
    city = filters.CharFilter(field_name="city", lookup_expr="iexact", max_length=100)
    min_rent = _rent_filter("gte")
    max_rent = _rent_filter("lte")
    bedrooms = IntegerFilter(
        field_name="bedrooms", lookup_expr="gte", min_value=0, max_value=20, label="At least"
    )
    available_from = filters.DateFilter(
        field_name="available_from", lookup_expr="lte", label="Available on or before"
    )
    pets_allowed = StrictBooleanFilter(field_name="pets_allowed")
    q = filters.CharFilter(method="filter_text", max_length=200, label="Free text")
    ordering = filters.ChoiceFilter(
        choices=[(value, value) for value in ORDERINGS],
        method="order",
        empty_label=None,
        label="Ordering (default -published_at)",
    )

    class Meta:
        model = Listing
        fields = []
        form = ListingSearchForm

    def filter_text(self, queryset: QuerySet[Listing], name: str, value: str) -> QuerySet[Listing]:
        return selectors.search_listings(queryset, value)

    def order(self, queryset: QuerySet[Listing], name: str, value: str) -> QuerySet[Listing]:
        field = ORDERINGS[value]
        return queryset.order_by(field, "-id" if field.startswith("-") else "id")
