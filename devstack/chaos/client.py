"""HTTP as the load's clients do it: one connection pool per thread, a host name
mapped to an address without /etc/hosts, and retries only where a repeat is safe.

The cluster's Ingress answers for hearth.local on 127.0.0.1:30443 with a
certificate for hearth.local: the sessions are devstack.api_client.Target's, which
connect to the address while TLS (SNI, certificate check), the Host header and the
cookies keep the name, and verify against the CA file whatever REQUESTS_CA_BUNDLE says.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from devstack.api_client import Target

# Answers a retry may turn around: the Ingress or gateway had no healthy backend,
# or a backend gave up on a store that is failing over.
TRANSIENT_STATUSES = frozenset({502, 503, 504})
ATTEMPT_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    ca_file: str | None = None  # None: the system's trust store (or plain http)
    resolve: str | None = None  # "host=address", for the base URL's port

    def target(self) -> Target:
        """The e2e client's Target: its per-session address mapping and CA handling."""
        mapping = {}
        if self.resolve:
            host, address = self.resolve.split("=", 1)
            parts = urlsplit(self.base_url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            mapping[(host.lower(), port)] = address
        return Target(
            base_url=self.base_url,
            resolve=mapping,
            ca_bundle=Path(self.ca_file) if self.ca_file else None,
        )

    def session(self) -> requests.Session:
        return self.target().session()


@dataclass
class Outcome:
    response: requests.Response | None
    attempts: int
    error: str | None = None  # the last transport error, when there was no response

    @property
    def status(self) -> int | None:
        return self.response.status_code if self.response is not None else None


class Client:
    """Thread-safe: each thread has its own session (requests' are not)."""

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        retry_budget_s: float = 10.0,
        attempt_timeout_s: float = ATTEMPT_TIMEOUT_S,
    ) -> None:
        self.endpoint = endpoint
        self.retry_budget_s = retry_budget_s
        self.attempt_timeout_s = attempt_timeout_s
        self._local = threading.local()

    def _session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = self.endpoint.session()
        return self._local.session

    def send(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        retry: bool,
        again: Callable[[requests.Response], bool] = lambda _: False,
        **kwargs: Any,
    ) -> Outcome:
        """One logical request. With `retry`, transport errors and transient
        statuses are tried again, with backoff, until the budget is spent; `again`
        names further answers worth retrying (e.g. an event not yet arrived)."""
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        deadline = time.monotonic() + self.retry_budget_s
        attempts, delay = 0, 0.1
        while True:
            attempts += 1
            try:
                response = self._session().request(
                    method,
                    self.endpoint.base_url + path,
                    headers=headers,
                    timeout=self.attempt_timeout_s,
                    **kwargs,
                )
                error = None
            except requests.RequestException as exc:
                response, error = None, f"{type(exc).__name__}: {exc}"[:300]
            transient = response is None or response.status_code in TRANSIENT_STATUSES
            worth_it = (retry and transient) or (response is not None and again(response))
            if not worth_it or time.monotonic() + delay > deadline:
                return Outcome(response, attempts, error)
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
