"""Middleware every deployable runs in front of its views: requests that cannot be
served get a 4xx early, and responses that carry someone's data are never cached.

Refusals raise Django's own exceptions (RequestDataTooBig, BadRequest), so the
deployable's error views answer them: JSON from an API (kernel.api.errors), the
friendly page from the web front end.
"""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from kernel.health.views import healthz, readyz

# Where the kubelet probes a pod: on its own port, with `Host: <pod ip>`.
KUBELET_PROBES = {"/healthz": healthz, "/readyz": readyz}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ProbeMiddleware:
    """Answers /healthz and /readyz before anything reads the Host header.

    The kubelet sends `Host: <pod ip>`, which no ALLOWED_HOSTS can list in advance;
    every other request still goes through the host check. First in MIDDLEWARE
    after the request id, so no HTTPS redirect or session touches a probe either.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = KUBELET_PROBES.get(request.path_info)
        return probe(request) if probe else self.get_response(request)


NULL_CHARACTERS = "Null characters are not allowed."  # Django's own wording


class InvalidParameters(BadRequest):
    """A 400 that names the query parameters at fault, as a filter would."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("invalid query parameters")
        self.fields = fields or {"detail": [NULL_CHARACTERS]}


class RequestHygieneMiddleware:
    """Refuses what no view should have to survive, before any view reads it.

    - A body over DATA_UPLOAD_MAX_MEMORY_SIZE (413). Django checks that limit only
      when `request.body` or `request.POST` is read; DRF's parsers read the stream
      themselves and never do. Multipart bodies are left to Django's multipart
      parser, which holds files on disk and applies the limit to the other fields.
    - A NUL character in the path or the query string (400): PostgreSQL refuses
      it in text, so it would fail as a 500 in whatever query used it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and _content_length(request) > limit and not _is_multipart(request):
            raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
        if "\x00" in request.path:
            raise BadRequest("NUL character in the path")
        if "%00" in request.META.get("QUERY_STRING", ""):
            raise InvalidParameters(
                {
                    name: [NULL_CHARACTERS]
                    for name, values in request.GET.lists()
                    if "\x00" in name or any("\x00" in value for value in values)
                }
            )
        return self.get_response(request)


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every response to a request that carried
    credentials (a session cookie or an Authorization header) or changed
    something (token and refresh answers carry tokens): no browser or proxy cache
    keeps a signed-in page or a token. Public GET answers keep their own caching."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.method not in SAFE_METHODS
            or "HTTP_AUTHORIZATION" in request.META
            or settings.SESSION_COOKIE_NAME in request.COOKIES
            or settings.SESSION_COOKIE_NAME in response.cookies
        ):
            response["Cache-Control"] = "no-store"
        return response


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # unreadable: Django then reads no body at all


def _is_multipart(request: HttpRequest) -> bool:
    return request.META.get("CONTENT_TYPE", "").lower().startswith("multipart/")
