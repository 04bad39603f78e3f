"""API errors: always JSON, always 4xx for the caller's mistakes.

The one place where the domain's errors (kernel.errors) become HTTP statuses.
DRF already answers its own validation errors with 400 and field messages; a
kernel.errors.Invalid gets the same shape, and so does Django's ValidationError,
raised by model-level rules, instead of a 500. A 400 is always an object (messages
without a field go under non_field_errors), the shape kernel.api.openapi documents.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions as drf
from rest_framework import status
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from kernel import errors


class _Conflict(drf.APIException):
    """DRF has no 409 of its own; only this module makes one, from errors.Conflict."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = errors.Conflict.default_message
    default_code = "conflict"


# Each kind of domain error and the DRF exception (so the status) it is answered with;
# the OpenAPI schema reads its statuses from here too (kernel.api.openapi).
_API_EXCEPTIONS: tuple[tuple[type[errors.DomainError], type[drf.APIException]], ...] = (
    (errors.Invalid, drf.ValidationError),
    (errors.NotFound, drf.NotFound),
    (errors.Forbidden, drf.PermissionDenied),
    (errors.Conflict, _Conflict),
    (errors.Unauthenticated, drf.AuthenticationFailed),
)


def _api_exception_class(kind: type[errors.DomainError]) -> type[drf.APIException]:
    for domain_kind, api_exception in _API_EXCEPTIONS:
        if issubclass(kind, domain_kind):
            return api_exception
    return drf.ValidationError


def status_of(kind: type[Exception]) -> int:
    """The status an API answers a raised `kind` with: a kernel.errors kind or a DRF exception."""
    if issubclass(kind, errors.DomainError):
        return _api_exception_class(kind).status_code
    if issubclass(kind, drf.APIException):
        return kind.status_code
    raise TypeError(f"{kind.__name__} is neither a kernel.errors kind nor a DRF exception")


def _as_api_exception(exc: errors.DomainError) -> drf.APIException:
    api_exception = _api_exception_class(type(exc))
    if api_exception is drf.ValidationError:
        fields = exc.fields if isinstance(exc, errors.Invalid) else None
        return drf.ValidationError(fields or {"detail": [exc.message]})
    return api_exception(exc.message)


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
    if isinstance(exc, drf.ValidationError) and isinstance(exc.detail, list):
        # A 400 is always an object of messages (kernel.api.openapi's ValidationError).
        exc = drf.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: exc.detail})
    return drf_exception_handler(exc, context)
