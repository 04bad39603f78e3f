"""Django choices from a contract's enum.

A context's status enums live in its contracts module, free of Django, so other
contexts read the same values; a model field's choices are derived from them, so
the values are written once.
"""

from enum import StrEnum


def choices_of(enum: type[StrEnum]) -> list[tuple[str, str]]:
    """[(value, label)], labelled as Django labels TextChoices ("LISTING_LET": "Listing Let")."""
    return [(member.value, member.name.replace("_", " ").title()) for member in enum]
