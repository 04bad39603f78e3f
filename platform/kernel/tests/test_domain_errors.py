"""The domain's errors become HTTP statuses in one place, with the API's usual shapes."""

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError

from kernel import errors
from kernel.api.exceptions import exception_handler


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.NotFound("No such listing."), 404),
        (errors.Forbidden("Not your listing."), 403),
        (errors.Conflict("Already let."), 409),
        (errors.Unauthenticated("Token revoked."), 401),
        (errors.Invalid("Bad."), 400),
    ],
)
def test_each_domain_error_has_its_status_and_message(error, status):
    response = exception_handler(error, {})
    assert response.status_code == status
    assert error.message in str(response.data)


def test_invalid_keeps_its_field_messages():
    response = exception_handler(errors.Invalid.field("rent", "Must be positive."), {})
    assert response.status_code == 400
    assert response.data == {"rent": ["Must be positive."]}


def test_django_validation_error_is_a_400_not_a_500():
    response = exception_handler(DjangoValidationError({"email": ["Taken."]}), {})
    assert response.status_code == 400
    assert response.data == {"email": ["Taken."]}


def test_anything_else_is_left_to_the_500_path():
    assert exception_handler(RuntimeError("boom"), {}) is None
