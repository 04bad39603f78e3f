"""API errors: always JSON, always 4xx for the caller's mistakes.

The one place where the domain's errors (kernel.errors) become HTTP statuses.
DRF already answers its own validation errors with 400 and field messages; a
kernel.errors.Invalid gets the same shape, and so does Django's ValidationError,
raised by model-level rules, instead of a 500.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions as drf
from rest_framework import status
from rest_framework.views import exception_handler as drf_exception_handler

from kernel import errors


class _Conflict(drf.APIException):
    """DRF has no 409 of its own; only this module makes one, from errors.Conflict."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = errors.Conflict.default_message
    default_code = "conflict"


def _as_api_exception(exc: errors.DomainError) -> drf.APIException:
    if isinstance(exc, errors.Invalid):
        return drf.ValidationError(exc.fields or {"detail": [exc.message]})
    if isinstance(exc, errors.NotFound):
        return drf.NotFound(exc.message)
    if isinstance(exc, errors.Forbidden):
        return drf.PermissionDenied(exc.message)
    if isinstance(exc, errors.Conflict):
        return _Conflict(exc.message)
    if isinstance(exc, errors.Unauthenticated):
        return drf.AuthenticationFailed(exc.message)
    return drf.ValidationError({"detail": [exc.message]})


def exception_handler(exc, context):
    if isinstance(exc, errors.DomainError):
        exc = _as_api_exception(exc)
        if isinstance(exc, drf.AuthenticationFailed):
            # As DRF does for its own 401s: name the scheme to authenticate with.
            view, request = context.get("view"), context.get("request")
            challenge = view.get_authenticate_header(request) if view and request else None
            exc.auth_header = challenge or 'Bearer realm="hearth"'
    elif isinstance(exc, DjangoValidationError):
        exc = drf.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    return drf_exception_handler(exc, context)
