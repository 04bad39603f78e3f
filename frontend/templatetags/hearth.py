"""Template helpers of Hearth's pages: money and dates as the API sends them,
navigation links, form fields with their errors, and the error summary."""

import datetime
from decimal import Decimal

from django import template
from django.forms import BaseFormSet
from django.urls import reverse
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.html import format_html

register = template.Library()

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


@register.filter
def money(value: dict | None) -> str:
    """{"amount": "1450.00", "currency": "EUR"} as €1,450; cents only when there are some."""
    if not value or value.get("amount") is None:
        return ""
    amount = Decimal(value["amount"])
    text = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    symbol = SYMBOLS.get(value["currency"])
    return f"{symbol}{text}" if symbol else f"{text} {value['currency']}"


@register.filter
def as_date(value: str | None) -> datetime.date | datetime.datetime | None:
    """An ISO date or timestamp from the API, for Django's `date` filter."""
    if not value:
        return None
    return parse_datetime(value) if "T" in value else parse_date(value)


@register.simple_tag(takes_context=True)
def nav_link(context, url_name: str, text: str) -> str:
    match = getattr(context.get("request"), "resolver_match", None)
    if match and match.url_name == url_name:
        return format_html('<a href="{}" aria-current="page">{}</a>', reverse(url_name), text)
    return format_html('<a href="{}">{}</a>', reverse(url_name), text)


@register.inclusion_tag("includes/field.html")
def field(bound_field) -> dict:
    return {"field": bound_field}


@register.inclusion_tag("includes/error_summary.html")
def error_summary(*forms) -> dict:
    """Every error of the forms (and formsets) given, each linked to its field."""
    errors = []
    for form in forms:
        if isinstance(form, BaseFormSet):
            errors += [(None, error) for error in form.non_form_errors()]
            for number, row in enumerate(form.forms, start=1):
                errors += _errors_of(row, prefix=f"{row.row_label} {number}, ")
        else:
            errors += _errors_of(form)
    return {"errors": errors}


def _errors_of(form, prefix: str = "") -> list[tuple[str | None, str]]:
    errors = [(None, f"{prefix}{error}") for error in form.non_field_errors()]
    for bound_field in form:
        label = f"{prefix}{bound_field.label.lower()}" if prefix else bound_field.label
        errors += [
            (f"#{bound_field.id_for_label}", f"{label}: {error}") for error in bound_field.errors
        ]
    return errors
