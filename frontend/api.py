"""Calls from the front end to the contexts' public APIs, through the kernel's
service client: timeouts, retries of idempotent calls, a circuit breaker per
context. A page catches ServiceUnavailable and renders what it can."""

from collections.abc import Iterator
from functools import cache
from typing import Any

import requests
from django.core.exceptions import PermissionDenied
from django.http import Http404

from kernel.http import ServiceClient

ACCOUNTS = "accounts"
LISTINGS = "listings"
APPLICATIONS = "applications"
NOTIFICATIONS = "notifications"
PAYMENTS = "payments"
SEARCH = "search"
ANALYTICS = "analytics"

# A page waits at most this long for one context: better a page with a gap and
# an explanation than a browser spinning.
PAGE_TIMEOUT = (0.5, 2.0)


class SessionExpired(Exception):
    """The API refused the session's token (401): the user must sign in again."""


# Signing in, registering and resetting a password hash it (PBKDF2, about a quarter
# of a second of CPU by design), several times longer on a busy pod, and the
# visitor is waiting for exactly that answer: a page's 2 s read turned sign-ins
# into "unavailable" while a new cluster's pods started.
CREDENTIAL_TIMEOUT = (0.5, 8.0)


@cache
def api(service: str) -> ServiceClient:
    return ServiceClient(service, timeout=PAGE_TIMEOUT, retries=1)


@cache
def credentials() -> ServiceClient:
    """Accounts, for the calls that check or set a password; on accounts' breaker."""
    return ServiceClient(ACCOUNTS, timeout=CREDENTIAL_TIMEOUT, retries=1)


def as_user(request) -> dict:
    """Keyword arguments for a call on behalf of the signed-in user, or anonymous."""
    user = getattr(request, "hearth_user", None)
    return {"user_token": user.access_token} if user else {"anonymous": True}


def checked(response: requests.Response, *handled: int) -> requests.Response:
    """The response if it is a success or a status the caller handles itself
    (a form's 400, a state machine's 409); otherwise what the page shows instead."""
    status = response.status_code
    if status < 300 or status in handled:
        return response
    detail = _detail(response)
    if status == 401:
        raise SessionExpired(detail)
    if status == 403:
        raise PermissionDenied(detail)
    if status == 404:
        raise Http404(detail)
    raise RuntimeError(f"unexpected {status} from {response.url}: {detail}")


def get_json(request, service: str, path: str, **params: Any) -> Any:
    """A read on behalf of the signed-in user (or anonymous): the JSON of its 200."""
    return checked(api(service).get(path, params=params, **as_user(request))).json()


def field_errors(body: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """The API's error body as (dotted field path, message) pairs: `{"monthly_rent":
    {"amount": [m]}}` gives ("monthly_rent.amount", m), a list of photos gives
    ("photos.1.url", m), and `{"detail": m}` or a bare list gives ("", m)."""
    if isinstance(body, dict):
        for key, value in body.items():
            inner = "" if key in ("detail", "non_field_errors") else key
            yield from field_errors(value, f"{path}.{inner}".strip("."))
    elif isinstance(body, list) and all(isinstance(item, str) for item in body):
        for message in body:
            yield path, message
    elif isinstance(body, list):
        for index, item in enumerate(body):
            yield from field_errors(item, f"{path}.{index}".strip("."))
    else:
        yield path, str(body)


def _detail(response: requests.Response) -> str:
    try:
        return str(response.json().get("detail", ""))
    except (ValueError, AttributeError):
        return ""


def forwarded_for(request) -> dict[str, str]:
    """Headers that pass the visitor's address on to accounts, whose limits against
    guessing count per address: otherwise every visitor would be the front end.
    The visitor is the last X-Forwarded-For entry, the one the gateway added."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    address = forwarded.split(",")[-1].strip() or request.META.get("REMOTE_ADDR", "")
    return {"X-Forwarded-For": address} if address else {}


def retry_after_message(response: requests.Response) -> str:
    """What a page says for accounts' 429: when to try again, in minutes."""
    try:
        seconds = int(response.headers.get("Retry-After", "60"))
    except ValueError:
        seconds = 60
    minutes = max(1, -(-seconds // 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many attempts. Please wait {minutes} {unit} and try again."
