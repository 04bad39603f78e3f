"""Calls from one deployable to another, for the few places where a synchronous
answer is the right choice (events are the default).

Every call carries a service token addressed to the callee (or, from the web
front end, the signed-in user's token) and the request id, has a connect and a
read timeout, is retried with backoff only when it is idempotent (GET, HEAD, PUT,
DELETE, OPTIONS, TRACE) and the failure is transient, and goes through a circuit
breaker per callee: after repeated failures calls fail at once for a while
instead of piling up behind a sick service. Each breaker's state is a metric
(hearth_breaker_state); each call is a span of the requests instrumentation, which
carries the trace context to the callee.
"""

import logging
from collections.abc import Mapping
from functools import cache
from typing import Any

import pybreaker
import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from kernel.auth.tokens import ServiceToken
from kernel.observability.context import request_id_var
from kernel.observability.metrics import observe_breaker

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 1.0
READ_TIMEOUT = 3.0
TRANSIENT_STATUSES = (502, 503, 504)


class ServiceUnavailable(Exception):
    """The callee did not answer usefully: down, slow, failing, or its breaker is open."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service} is unavailable: {reason}")
        self.service = service
        self.reason = reason


class _ServerError(Exception):
    """A 5xx answer: counts against the breaker, unlike a 4xx."""

    def __init__(self, response: requests.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


class _StateMetric(pybreaker.CircuitBreakerListener):
    def state_change(self, cb, old_state, new_state) -> None:
        observe_breaker(cb.name, new_state.name)


@cache
def breaker(service: str) -> pybreaker.CircuitBreaker:
    """One breaker per callee, shared by every client in the process."""
    observe_breaker(service, "closed")
    return pybreaker.CircuitBreaker(
        fail_max=settings.HEARTH_BREAKER_FAIL_MAX,
        reset_timeout=settings.HEARTH_BREAKER_RESET_SECONDS,
        exclude=[lambda error: not isinstance(error, _ServerError | requests.RequestException)],
        name=service,
        listeners=[_StateMetric()],
    )


def _describe(error: requests.RequestException) -> str:
    # With retries, urllib3 wraps a read timeout in a ConnectionError: say what it was.
    if isinstance(error, requests.Timeout) or "timed out" in str(error):
        return "timed out"
    return type(error).__name__


class ServiceClient:
    def __init__(
        self,
        service: str,
        *,
        base_url: str | None = None,
        retries: int = 2,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
    ) -> None:
        self.service = service
        self.base_url = (base_url or settings.HEARTH_SERVICE_URLS[service]).rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        retry = Retry(
            total=retries,
            backoff_factor=0.1,  # 0.1 s, 0.2 s, ... between attempts
            status_forcelist=TRANSIENT_STATUSES,
            allowed_methods=Retry.DEFAULT_ALLOWED_METHODS,  # idempotent methods only
            raise_on_status=False,
        )
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.mount("https://", HTTPAdapter(max_retries=retry))

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def request(
        self,
        method: str,
        path: str,
        *,
        user_token: str | None = None,
        anonymous: bool = False,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """The callee's answer, 2xx or 4xx; ServiceUnavailable for anything else.

        The call carries this deployable's service token, or, on behalf of a user
        (the web front end), `user_token`, or no token at all if `anonymous`.
        """
        if anonymous:
            authorization = None
        elif user_token:
            authorization = f"Bearer {user_token}"
        else:
            authorization = f"Bearer {ServiceToken.for_callee(self.service)}"
        try:
            return breaker(self.service).call(
                self._send, method, path, authorization, headers or {}, **kwargs
            )
        except pybreaker.CircuitBreakerError as error:
            raise ServiceUnavailable(self.service, "circuit open") from error
        except _ServerError as error:
            raise ServiceUnavailable(self.service, str(error)) from error
        except requests.RequestException as error:
            raise ServiceUnavailable(self.service, _describe(error)) from error

    def _send(
        self,
        method: str,
        path: str,
        authorization: str | None,
        headers: Mapping[str, str],
        **kwargs: Any,
    ) -> requests.Response:
        all_headers = {"Accept": "application/json", **headers}
        if authorization:
            all_headers["Authorization"] = authorization
        if request_id := request_id_var.get():
            all_headers["X-Request-ID"] = request_id
        response = self.session.request(
            method, f"{self.base_url}{path}", headers=all_headers, timeout=self.timeout, **kwargs
        )
        if response.status_code >= 500:
            raise _ServerError(response)
        return response
