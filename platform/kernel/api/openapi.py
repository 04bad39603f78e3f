"""What every deployable's OpenAPI schema says beyond drf-spectacular's inference:
the errors each operation can give, the bounds of search filters, and the links
from a created resource to the operations on it.

The error bodies are the ones kernel.api.exceptions and kernel.api.errors give,
declared once here as two components: `ValidationError` (400) and `Error` (every
other refusal). Each operation gets the refusals its view can really give,
derived from the view itself, so a new endpoint is documented without anyone
listing statuses by hand:

    400  it takes a body or query parameters (serializer, filter or parser refusals)
    401  it reads a token (a bad, expired or ended one is refused even where
         anyone may call)
    403  a permission beyond "signed in" can refuse (a role, a calling service)
    404  its path names a resource, or it is paginated (a page past the last)
    413  it takes a body (kernel.api.parsers refuses one over the limit)
    414  it takes query parameters (gunicorn, and the gateway, refuse a request
         line over their limit before Django sees it)
    429  it is throttled

What only a service decides (a state that forbids a move: 409; a public view
that checks credentials itself: 401) the view declares with `@refuses(kind, ...)`
naming the kernel.errors kinds (or DRF exceptions) it lets through; their statuses
come from kernel.api.exceptions, the one place that maps them. A status the
domain has no kind for (410; 503 once a view calls another deployable) is given
as its number.
"""

from collections.abc import Callable

from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import permissions

from kernel.api.exceptions import status_of
from kernel.api.pagination import PageNumberPagination

_MESSAGES = {"type": "array", "items": {"type": "string"}}

ERROR_SCHEMA = {
    "type": "object",
    "description": "A refusal, with a message safe to show to the caller.",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "Set for token errors, e.g. token_not_valid."},
    },
    "required": ["detail"],
}

VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "Messages per field at fault, under the field's name: a list of messages, or"
        " for nested input an object (or a list of objects) of the same shape."
        " `non_field_errors` holds rules across fields; `detail` a refusal of the"
        " whole request (a body that is not JSON, or an id that does not fit)."
    ),
    "properties": {
        "detail": {"oneOf": [{"type": "string"}, _MESSAGES]},
        "non_field_errors": _MESSAGES,
    },
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "object"}]}},
            {"type": "object"},
        ]
    },
}

DESCRIPTIONS = {
    400: "The input is not valid.",
    401: "No valid credentials: missing, malformed, expired or from an ended session.",
    403: "Signed in, but not allowed to do this.",
    404: "No such resource, or not one the caller may see.",
    409: "The request is valid, but the resource's current state forbids it.",
    410: "The resource existed but is gone for good.",
    413: "The request body is over the size limit.",
    414: "The address, with its query string, is too long.",
    429: "Too many requests; Retry-After says how many seconds to wait.",
    503: "A service this operation depends on is unavailable; try again later.",
}

PAGE_PARAMETER = PageNumberPagination.page_query_param

# Permissions that refuse only a caller without credentials (a 401), never a 403.
_SIGNED_IN_ONLY = (permissions.AllowAny, permissions.IsAuthenticated)


def refuses(*kinds: type[Exception] | int) -> Callable:
    """Declares the refusals a view method's services raise that the view cannot
    show by itself: `@refuses(errors.Conflict)` documents the 409. A status the
    domain has no kind for (410) is given as the number the view answers with."""

    def decorate(method: Callable) -> Callable:
        method.refusals = (*getattr(method, "refusals", ()), *kinds)
        return method

    return decorate


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema of an operation, with the refusals it can give."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        for status in sorted(self.refusal_statuses(operation)):
            operation["responses"].setdefault(str(status), self._error_response(status))
        return operation

    def refusal_statuses(self, operation: dict) -> set[int]:
        takes_body = "requestBody" in operation
        parameters = operation.get("parameters", [])
        takes_query = any(parameter["in"] == "query" for parameter in parameters)
        statuses = {
            kind if isinstance(kind, int) else status_of(kind)
            for kind in getattr(self._handler(), "refusals", ())
        }
        if takes_body or takes_query:
            statuses.add(400)
        if takes_query:
            statuses.add(414)
        if self.view.get_authenticators():
            statuses.add(401)
        if any(not isinstance(p, _SIGNED_IN_ONLY) for p in self.view.get_permissions()):
            statuses.add(403)
        if any(
            parameter["in"] == "path" or parameter["name"] == PAGE_PARAMETER
            for parameter in parameters
        ):
            statuses.add(404)
        if takes_body:
            statuses.add(413)
        if self.view.get_throttles():
            statuses.add(429)
        return statuses

    def _handler(self) -> Callable | None:
        action = getattr(self.view, "action", None)
        return getattr(self.view, action or self.method.lower(), None)

    def _error_response(self, status: int) -> dict:
        name, schema = (
            ("ValidationError", VALIDATION_ERROR_SCHEMA)
            if status == 400
            else ("Error", ERROR_SCHEMA)
        )
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema
        )
        self.registry.register_on_missing(component)
        response = {
            "description": DESCRIPTIONS[status],
            "content": {"application/json": {"schema": component.ref}},
        }
        if status == 429:
            response["headers"] = {
                "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}
            }
        return response


class BoundedFilterExtension(DjangoFilterExtension):
    """django-filter's query parameters with the bounds their form fields enforce
    (min_value, max_value, max_length), which drf-spectacular leaves out: a value
    the schema allows is then one the filter takes."""

    priority = 1  # over drf-spectacular's own

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        field = filter_field.field
        bounds = {
            "minimum": getattr(field, "min_value", None),
            "maximum": getattr(field, "max_value", None),
            "maxLength": getattr(field, "max_length", None),
        }
        for parameter in parameters:
            schema = parameter["schema"]
            for keyword, bound in bounds.items():
                applies = schema.get("type") == "string" or keyword != "maxLength"
                if bound is not None and applies and "enum" not in schema:
                    schema[keyword] = float(bound) if schema.get("type") == "number" else bound
        return parameters


def link_created_resources(result, generator, request, public):
    """drf-spectacular postprocessing hook: OpenAPI links from each 201 that returns
    an `id` to the operations on that resource (`<path>/{id}` and its actions), so
    a client, and schemathesis' stateful phase, can follow create → act → delete."""
    paths = result.get("paths", {})
    for path, item in paths.items():
        created = item.get("post", {}).get("responses", {}).get("201")
        if not created or "id" not in _properties(result, created):
            continue
        detail = f"{path}/{{id}}"
        targets = [
            operation["operationId"]
            for target_path, target_item in paths.items()
            if target_path == detail or target_path.startswith(f"{detail}/")
            for operation in target_item.values()
        ]
        created["links"] = {
            target: {"operationId": target, "parameters": {"id": "$response.body#/id"}}
            for target in targets
        }
    return result


def _properties(result: dict, response: dict) -> dict:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = result["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema.get("properties", {})
