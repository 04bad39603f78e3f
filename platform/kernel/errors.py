"""The domain's own errors: what services and state machines raise when a rule says no.

Services run behind the API and inside event consumers and Celery tasks, where an
HTTP status means nothing, so they raise these and never DRF's exceptions. The API
maps each kind to its status once, in kernel.api.exceptions.exception_handler:

    NotFound 404 · Forbidden 403 · Conflict 409 · Invalid 400 · Unauthenticated 401
"""


class DomainError(Exception):
    """A request the domain refuses. `message` is safe to show to the caller."""

    default_message = "The request cannot be carried out."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class NotFound(DomainError):
    default_message = "Not found."


class Forbidden(DomainError):
    default_message = "You may not do this."


class Conflict(DomainError):
    """The request is valid but the current state forbids it (a transition, a duplicate)."""

    default_message = "The request conflicts with the current state of the resource."


class Unauthenticated(DomainError):
    """Credentials that do not prove who the caller is: wrong, expired or revoked."""

    default_message = "The credentials given are not valid."


class Invalid(DomainError):
    """Input that breaks a rule, with messages per field where a field is to blame."""

    default_message = "The request is not valid."

    def __init__(self, message: str | None = None, *, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.fields = fields or {}

    @classmethod
    def field(cls, name: str, message: str) -> "Invalid":
        return cls(message, fields={name: [message]})
