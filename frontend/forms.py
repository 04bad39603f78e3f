"""The pages' forms: rendering, light type checks, and the JSON each one sends.

The API remains the source of truth for every rule; its 400 field errors come
back onto these forms through `add_api_errors`.
"""

from typing import Any

from django import forms

from frontend.api import field_errors
from kernel.money import SUPPORTED_CURRENCIES

CURRENCIES = [(code, code) for code in SUPPORTED_CURRENCIES]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")  # the only format a date input reads


def add_api_errors(form: forms.Form, body: Any, aliases: dict[str, str] | None = None) -> None:
    """Put each of the API's error messages on the form field it is about.

    A path is tried whole, then without its last parts ("amenities.3" lands on
    `amenities`), each through `aliases` (API path -> form field); a message
    about no field of the form becomes a form-wide error.
    """
    aliases = aliases or {}
    for path, message in field_errors(body):
        form.add_error(_field_for(form, path, aliases), message)


def _field_for(form: forms.Form, path: str, aliases: dict[str, str]) -> str | None:
    parts = path.split(".") if path else []
    while parts:
        name = ".".join(parts)
        name = aliases.get(name, name)
        if name in form.fields:
            return name
        parts.pop()
    return None


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value not in (None, "")}


class SearchForm(forms.Form):
    """The filters of search's GET /api/v1/search/listings, which are listings' own
    (GET /api/v1/listings, the fallback), as a GET form."""

    all_optional = True  # so no field is marked "(optional)"

    ORDERINGS = [
        ("relevance", "Best match"),
        ("-published_at", "Newest first"),
        ("rent", "Rent: lowest first"),
        ("-rent", "Rent: highest first"),
        ("available_from", "Available soonest"),
        ("-available_from", "Available latest"),
        ("published_at", "Oldest first"),
    ]
    # Each ordering (listings' names) as search's sort.
    SEARCH_SORTS = {
        "relevance": "relevance",
        "-published_at": "newest",
        "published_at": "oldest",
        "rent": "rent",
        "-rent": "-rent",
        "available_from": "available_from",
        "-available_from": "-available_from",
    }
    API_ALIASES = {"sort": "ordering"}
    PETS = [("", "No preference"), ("true", "Pets allowed"), ("false", "No pets")]

    q = forms.CharField(label="Keywords", required=False, max_length=200)
    city = forms.CharField(required=False, max_length=100)
    min_rent = forms.DecimalField(label="Minimum rent", required=False, decimal_places=2)
    max_rent = forms.DecimalField(label="Maximum rent", required=False, decimal_places=2)
    bedrooms = forms.IntegerField(label="Bedrooms (at least)", required=False)
    available_from = forms.DateField(label="Available by", required=False, widget=DateInput)
    pets_allowed = forms.ChoiceField(label="Pets", required=False, choices=PETS)
    ordering = forms.ChoiceField(label="Sort by", required=False, choices=ORDERINGS)
    # Set by the page links only: the form does not render it, so a new search
    # starts again at page 1.
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def params(self) -> dict[str, Any]:
        return _drop_empty(self.cleaned_data)


class SignUpForm(forms.Form):
    ROLES = [("renter", "I am looking for a home"), ("landlord", "I am letting a home")]

    full_name = forms.CharField(
        max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        strip=False,
        help_text="At least 10 characters, not a common password and not only numbers.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    role = forms.ChoiceField(
        label="I am",
        choices=ROLES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether you are looking for a home or letting one."},
    )


class SignInForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class ApplyForm(forms.Form):
    API_ALIASES = {
        "monthly_income.amount": "income_amount",
        "monthly_income.currency": "income_currency",
        "monthly_income": "income_amount",
    }

    move_in_date = forms.DateField(label="Move-in date", widget=DateInput)
    occupants = forms.IntegerField(label="Number of occupants", min_value=1)
    income_amount = forms.DecimalField(label="Monthly income", decimal_places=2)
    income_currency = forms.ChoiceField(label="Currency", choices=CURRENCIES, initial="EUR")
    message = forms.CharField(
        label="Message to the landlord",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def payload(self, listing_id: str) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "listing_id": listing_id,
            "move_in_date": data["move_in_date"].isoformat(),
            "occupants": data["occupants"],
            "monthly_income": {
                "amount": str(data["income_amount"]),
                "currency": data["income_currency"],
            },
            "message": data["message"],
        }


class ListingForm(forms.Form):
    """Every field of a listing. One currency serves rent and deposit, which the
    API requires to match anyway."""

    API_ALIASES = {
        "monthly_rent.amount": "rent_amount",
        "monthly_rent.currency": "currency",
        "monthly_rent": "rent_amount",
        "deposit.amount": "deposit_amount",
        "deposit.currency": "currency",
        "deposit": "deposit_amount",
        "rent_currency": "currency",
        "deposit_currency": "currency",
    }

    title = forms.CharField(max_length=120)
    description = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 6})
    )
    street_address = forms.CharField(
        max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    city = forms.CharField(max_length=100)
    postal_code = forms.CharField(max_length=20)
    country = forms.CharField(
        max_length=2, initial="PT", help_text="Two-letter country code, such as PT or ES."
    )
    latitude = forms.DecimalField(required=False, help_text="Optional, such as 38.7223.")
    longitude = forms.DecimalField(required=False, help_text="Optional, such as -9.1393.")
    rent_amount = forms.DecimalField(label="Monthly rent", decimal_places=2)
    deposit_amount = forms.DecimalField(
        label="Deposit", decimal_places=2, help_text="At most 12 months of rent."
    )
    currency = forms.ChoiceField(choices=CURRENCIES, initial="EUR")
    bedrooms = forms.IntegerField(min_value=0)
    bathrooms = forms.DecimalField(decimal_places=1, help_text="In steps of 0.5, such as 1.5.")
    area_sqm = forms.DecimalField(label="Area (m²)", required=False, decimal_places=2)
    amenities = forms.CharField(
        required=False, help_text="Separate with commas, such as: balcony, dishwasher, lift."
    )
    pets_allowed = forms.BooleanField(label="Pets allowed", required=False)
    available_from = forms.DateField(label="Available from", widget=DateInput)

    def clean_amenities(self) -> list[str]:
        return [item.strip() for item in self.cleaned_data["amenities"].split(",") if item.strip()]

    def payload(self) -> dict[str, Any]:
        data = self.cleaned_data

        def decimal(name: str) -> str | None:
            return None if data[name] is None else str(data[name])

        return {
            **{
                name: data[name]
                for name in ("title", "description", "street_address", "city", "postal_code")
            },
            "country": data["country"].upper(),
            "latitude": decimal("latitude"),
            "longitude": decimal("longitude"),
            "monthly_rent": {"amount": decimal("rent_amount"), "currency": data["currency"]},
            "deposit": {"amount": decimal("deposit_amount"), "currency": data["currency"]},
            "bedrooms": data["bedrooms"],
            "bathrooms": decimal("bathrooms"),
            "area_sqm": decimal("area_sqm"),
            "amenities": data["amenities"],
            "pets_allowed": data["pets_allowed"],
            "available_from": data["available_from"].isoformat(),
        }

    @classmethod
    def initial_from(cls, listing: dict[str, Any]) -> dict[str, Any]:
        """A listing from the API as the form's initial values."""
        return {
            **{name: listing[name] for name in cls.base_fields if name in listing},
            "rent_amount": listing["monthly_rent"]["amount"],
            "deposit_amount": listing["deposit"]["amount"],
            "currency": listing["monthly_rent"]["currency"],
            "amenities": ", ".join(listing["amenities"]),
        }


class PhotoForm(forms.Form):
    row_label = "Photo"  # rows are "Photo 1", "Photo 2"... in the error summary
    url = forms.URLField(label="Web address", required=False, max_length=500, assume_scheme="https")
    caption = forms.CharField(
        required=False, max_length=200, help_text="Describes the photo to people who cannot see it."
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("caption") and not data.get("url"):
            self.add_error("url", "Add the web address of the photo, or clear its caption.")
        return data


# Two empty rows beyond the listing's photos: without JavaScript a form cannot grow,
# so a landlord adds more by saving and editing again.
PhotoFormSet = forms.formset_factory(PhotoForm, extra=2, max_num=30, validate_max=True)


def photo_payload(formset) -> tuple[list[dict[str, str]], list[PhotoForm]]:
    """The photos to send, and the form row each came from (the API names rows by
    their index in what it was sent)."""
    rows = [form for form in formset.forms if form.cleaned_data.get("url")]
    photos = [
        {"url": row.cleaned_data["url"], "caption": row.cleaned_data["caption"]} for row in rows
    ]
    return photos, rows


def add_listing_api_errors(form: ListingForm, rows: list[PhotoForm], body: Any) -> None:
    """The API's errors on a listing: those about one photo onto that photo's row."""
    for path, message in field_errors(body):
        parts = path.split(".")
        if parts[0] == "photos" and len(parts) > 1 and parts[1].isdigit():
            row = rows[int(parts[1])]
            row.add_error(parts[2] if len(parts) > 2 and parts[2] in row.fields else None, message)
        else:
            form.add_error(_field_for(form, path, form.API_ALIASES), message)


class ForgotPasswordForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class ResetPasswordForm(forms.Form):
    """The token comes from the emailed link's query string into this hidden field,
    so the form's own URL carries no credential."""

    token = forms.CharField(widget=forms.HiddenInput, max_length=200)
    new_password = forms.CharField(
        label="New password",
        strip=False,
        help_text="At least 10 characters, not a common password, not only numbers, "
        "and not like your name or email.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        label="New password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        first, second = data.get("new_password"), data.get("new_password_again")
        if first and second and first != second:
            self.add_error("new_password_again", "The two passwords are not the same.")
        return data
