"""A URLconf for the hardening tests: an API view that parses its body, and views
that fail, behind the kernel's JSON error views."""

from django.db import connection
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.api.errors import handler400, handler403, handler404, handler500  # noqa: F401


class Echo(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    def get(self, request):
        return Response({"query": dict(request.query_params)})

    def post(self, request):
        return Response({"received": request.data})


class Failing(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    def get(self, request):
        raise RuntimeError("a bug, with a secret in its message: hunter2")


class Counting(APIView):
    """Reads the database, as nearly every view does."""

    permission_classes = [AllowAny]
    authentication_classes = []

    def post(self, request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return Response({"one": cursor.fetchone()[0]})


def failing_page(request):
    raise RuntimeError("a bug, with a secret in its message: hunter2")


urlpatterns = [
    path("echo", Echo.as_view()),
    path("api-failure", Failing.as_view()),
    path("counting", Counting.as_view()),
    path("page-failure", failing_page),
]
