"""API errors: always JSON, always 4xx for the caller's mistakes.

DRF already answers validation errors with 400 and field messages. This adds
Conflict (409, for a transition the state machine forbids or a duplicate), and
turns Django's own ValidationError, raised by model-level rules, into a 400 with
the same shape instead of a 500.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.views import exception_handler as drf_exception_handler


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    return drf_exception_handler(exc, context)
