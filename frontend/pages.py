"""What every page shares: who may see it, and what it shows when a context is
down or the session has ended, so no page is ever a blank error."""

import math
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from frontend.api import (
    ACCOUNTS,
    ANALYTICS,
    APPLICATIONS,
    LISTINGS,
    NOTIFICATIONS,
    PAYMENTS,
    SEARCH,
    SessionExpired,
)
from kernel.http import ServiceUnavailable

WHAT_IS_DOWN = {
    ACCOUNTS: "Signing in and accounts are",
    LISTINGS: "Listings are",
    APPLICATIONS: "Applications are",
    NOTIFICATIONS: "Notifications are",
    PAYMENTS: "Payments are",
    SEARCH: "Search is",
    ANALYTICS: "Market figures are",
}
RETRY_AFTER_SECONDS = 60
ROLE_NAMES = {"landlord": "landlords", "renter": "renters"}


def unavailable_message(error: ServiceUnavailable) -> str:
    what = WHAT_IS_DOWN.get(error.service, "Part of Hearth is")
    return f"{what} temporarily unavailable. Please try again in a minute."


def render_unavailable(
    request, template: str, context: dict[str, Any], error: ServiceUnavailable
) -> HttpResponse:
    """The page without its main content, which a context could not give: 503."""
    response = render(
        request, template, {**context, "unavailable": unavailable_message(error)}, status=503
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def page(
    *,
    role: str | None = None,
    staff: bool = False,
    signed_in: bool = False,
    template: str = "unavailable.html",
):
    """A page view: signed-in (and of `role`, or staff) when asked, sent to sign in
    with `next` otherwise; a context that is down, a missing object or an ended session shows
    as a page of the site with its navigation, never a bare error.

    `template` is rendered, with a message and no content, when a context the
    view needs is down: the page's own template if it can do without its content.
    """

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.hearth_user
            if (signed_in or role or staff) and user is None:
                return redirect_to_sign_in(request)
            if role and user.role != role:
                raise PermissionDenied(f"This page is for {ROLE_NAMES[role]}.")
            if staff and not user.is_staff:
                raise PermissionDenied("This page is for Hearth's operations staff.")
            try:
                return view(request, *args, **kwargs)
            except ServiceUnavailable as error:
                return render_unavailable(request, template, {}, error)
            except Http404:
                return render(request, "404.html", status=404)
            except SessionExpired:
                request.session.flush()
                messages.info(request, "Your session has ended. Please sign in again.")
                return redirect_to_sign_in(request)

        return wrapper

    return decorate


def redirect_to_sign_in(request) -> HttpResponse:
    # After a POST there is no page to come back to; the sign-in page picks one.
    query = f"?{urlencode({'next': request.get_full_path()})}" if request.method == "GET" else ""
    return redirect(f"{reverse('signin')}{query}")


def safe_next(request, default: str) -> str:
    """The `next` the request carries, if it points into this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@dataclass(frozen=True)
class Pagination:
    number: int
    num_pages: int
    count: int
    previous_url: str | None
    next_url: str | None

    @classmethod
    def of(
        cls,
        request,
        data: dict[str, Any],
        *,
        page: int,
        page_size: int,
        max_results: int | None = None,
    ) -> "Pagination":
        """The page links of a paginated API answer, keeping the page's own query;
        `max_results`: where the API's pages stop, however many it found."""

        def url(number: int) -> str:
            query = request.GET.copy()
            query["page"] = str(number)
            return f"?{query.urlencode()}"

        reachable = min(data["count"], max_results or data["count"])
        num_pages = max(1, math.ceil(reachable / page_size))
        return cls(
            number=page,
            num_pages=num_pages,
            count=data["count"],
            previous_url=url(page - 1) if data.get("previous") else None,
            next_url=url(page + 1) if data.get("next") else None,
        )


def page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1
