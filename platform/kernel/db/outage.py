"""A database that cannot be reached answers 503 with Retry-After, never 500.

While Patroni promotes a standby (about 20 s), a new connection is refused or times
out and an open one is terminated by the demoted primary. Nothing is wrong with the
request, and its transaction was rolled back: a 503 tells the client to send it
again shortly, where a 500 would say the server has a bug. Errors of the query itself
(IntegrityError, ProgrammingError, DataError) are not OperationalErrors and stay 500s.
"""

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

UNAVAILABLE = "The service's database is unavailable for a moment; try again."
# About a Patroni failover: leader TTL 15 s, loop 3 s (helm/hearth-data).
RETRY_AFTER_SECONDS = 5


class DatabaseOutageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning(
            "database unavailable",
            extra={"path": request.path, "error": str(exception).splitlines()[0][:200]},
        )
        response = JsonResponse({"detail": UNAVAILABLE}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
