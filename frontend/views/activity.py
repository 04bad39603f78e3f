"""What a signed-in user has: applications (sent or received) and notifications,
and the landlord's decisions on applications."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from frontend.api import APPLICATIONS, NOTIFICATIONS, api, as_user, checked, get_json
from frontend.pages import Pagination, page, page_number, safe_next

PAGE_SIZE = 20
DECISIONS = {
    "approve": "You approved the application of {renter}: the home is let to them, and every "
    "other applicant is told it is no longer available.",
    "reject": "You rejected the application of {renter}; they are told by email.",
}


@page(signed_in=True, template="applications.html")
def my_applications(request):
    number = page_number(request)
    data = get_json(request, APPLICATIONS, "/api/v1/applications", page=number, page_size=PAGE_SIZE)
    return render(
        request,
        "applications.html",
        {
            "applications": data["results"],
            "pagination": Pagination.of(request, data, page=number, page_size=PAGE_SIZE),
        },
    )


@page(signed_in=True, template="notifications.html")
def notifications(request):
    number = page_number(request)
    data = get_json(
        request, NOTIFICATIONS, "/api/v1/notifications", page=number, page_size=PAGE_SIZE
    )
    return render(
        request,
        "notifications.html",
        {
            "notifications": data["results"],
            "pagination": Pagination.of(request, data, page=number, page_size=PAGE_SIZE),
        },
    )


@page(role="landlord")
@require_POST
def decide(request, application_id, decision: str):
    response = checked(
        api(APPLICATIONS).post(
            f"/api/v1/applications/{application_id}/{decision}", **as_user(request)
        ),
        409,
    )
    if response.status_code == 409:
        messages.error(request, response.json()["detail"])
    else:
        messages.success(request, DECISIONS[decision].format(renter=response.json()["renter_name"]))
    return redirect(safe_next(request, reverse("applications")))
