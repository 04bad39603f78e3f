from django.urls import URLPattern, URLResolver
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView


def api_index_view(service: str, patterns: list[URLPattern | URLResolver]) -> APIView:
    """The browsable front page of a deployable's API: where its schema and docs
    are, and the paths it serves."""

    class ApiIndex(APIView):
        permission_classes = [AllowAny]
        authentication_classes = []
        schema = None  # a page of links, not part of the API contract

        def get_view_name(self) -> str:
            return f"Hearth {service} API"

        def get(self, request):
            return Response(
                {
                    "schema": reverse("schema", request=request),
                    "docs": reverse("docs", request=request),
                    "endpoints": [f"/api/v1/{pattern.pattern}" for pattern in patterns],
                }
            )

    return ApiIndex.as_view()
