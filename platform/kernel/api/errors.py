"""Django's error views for an API deployable: JSON, like every DRF error.

DRF answers the errors raised inside its views; these answer the rest (a path no
route matches, a refused Host header, a body too large, an unhandled exception),
so no error from an API is an HTML page, and none ever shows a traceback, a
settings dump or the URL list. A URLconf names them as handler400 … handler500.
"""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse

# DRF's wording, so an error reads the same whichever layer answered it.
NOT_FOUND = "Not found."
FORBIDDEN = "You do not have permission to perform this action."
BAD_REQUEST = "Bad request."
TOO_LARGE = "The request body is too large."
SERVER_ERROR = "A server error occurred."


def error_status(exception: Exception | None) -> int:
    """The status a refused request gets: 413 for a body over the limit
    (DATA_UPLOAD_MAX_MEMORY_SIZE), which Django reports as a 400."""
    return 413 if isinstance(exception, RequestDataTooBig) else 400


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    status = error_status(exception)
    if status == 413:
        return JsonResponse({"detail": TOO_LARGE}, status=413)
    # The fields at fault where the refusal names them (kernel.http_security); never
    # the exception's text, which for a refused Host repeats the caller's input.
    fields = getattr(exception, "fields", None)
    return JsonResponse(fields or {"detail": BAD_REQUEST}, status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"detail": FORBIDDEN}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"detail": NOT_FOUND}, status=404)


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"detail": SERVER_ERROR}, status=500)


# The names Django looks for in a URLconf: `from kernel.api.errors import handler400, …`.
handler400 = bad_request
handler403 = permission_denied
handler404 = page_not_found
handler500 = server_error
