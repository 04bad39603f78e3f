from rest_framework.routers import SimpleRouter

UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


class ApiRouter(SimpleRouter):
    """Paths without trailing slashes (/api/v1/listings/{id}/publish), and ids that
    are UUIDs: anything else in an id's place is a 404 before a view runs."""

    def __init__(self) -> None:
        super().__init__(trailing_slash=False)

    def get_lookup_regex(self, viewset, lookup_prefix: str = "") -> str:
        lookup_field = getattr(viewset, "lookup_field", "pk")
        lookup_url_kwarg = getattr(viewset, "lookup_url_kwarg", None) or lookup_field
        pattern = getattr(viewset, "lookup_value_regex", UUID_PATTERN)
        return f"(?P<{lookup_prefix}{lookup_url_kwarg}>{pattern})"
