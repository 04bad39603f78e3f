"""The landlord's photo upload form. The browser's `accept` is a hint only: listings
checks the bytes themselves (apps.listings.photos), and its messages are shown here."""

from django import forms

MAX_CAPTION_LENGTH = 200


class PhotoUploadForm(forms.Form):
    file = forms.FileField(
        label="Photo",
        help_text="A JPEG, PNG or WebP photo of at most 10 MB; up to 20 photos a listing.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    caption = forms.CharField(
        required=False,
        max_length=MAX_CAPTION_LENGTH,
        help_text="Describes the photo to people who cannot see it.",
    )
