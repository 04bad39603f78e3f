"""The landlord's pages: their listings, the listing form, publishing, and the
applications each listing received."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from frontend.api import APPLICATIONS, LISTINGS, api, as_user, checked, get_json
from frontend.forms import ListingForm, PhotoFormSet, add_listing_api_errors, photo_payload
from frontend.pages import (
    Pagination,
    page,
    page_number,
    render_unavailable,
    unavailable_message,
)
from kernel.http import ServiceUnavailable

PAGE_SIZE = 20
TRANSITIONS = {
    "publish": "“{title}” is published: renters can find it now.",
    "unpublish": "“{title}” is unpublished: it is out of search until you publish it again.",
}


@page(role="landlord", template="landlord/dashboard.html")
def dashboard(request):
    number = page_number(request)
    data = get_json(request, LISTINGS, "/api/v1/listings/mine", page=number, page_size=PAGE_SIZE)
    return render(
        request,
        "landlord/dashboard.html",
        {
            "listings": data["results"],
            "pagination": Pagination.of(request, data, page=number, page_size=PAGE_SIZE),
        },
    )


@page(role="landlord")
def listing_new(request):
    form = ListingForm(request.POST or None)
    photos = PhotoFormSet(request.POST or None, prefix="photos")
    return _listing_form(request, form, photos)


@page(role="landlord")
def listing_edit(request, listing_id):
    if request.method == "POST":
        form = ListingForm(request.POST)
        photos = PhotoFormSet(request.POST, prefix="photos")
    else:
        listing = get_json(request, LISTINGS, f"/api/v1/listings/{listing_id}")
        form = ListingForm(initial=ListingForm.initial_from(listing))
        photos = PhotoFormSet(initial=listing["photos"], prefix="photos")
    return _listing_form(request, form, photos, listing_id)


def _listing_form(request, form, photos, listing_id=None):
    """Send a bound, valid form to the API (a new draft, or changes to `listing_id`);
    otherwise, or on the API's errors, show it."""
    method, path = (
        ("PATCH", f"/api/v1/listings/{listing_id}") if listing_id else ("POST", "/api/v1/listings")
    )
    status = 200
    if form.is_bound and form.is_valid() and photos.is_valid():
        photo_list, rows = photo_payload(photos)
        try:
            response = checked(
                api(LISTINGS).request(
                    method, path, json={**form.payload(), "photos": photo_list}, **as_user(request)
                ),
                400,
                409,
            )
        except ServiceUnavailable as error:
            form.add_error(None, unavailable_message(error))
            status = 503
        else:
            if response.status_code < 300:
                title = response.json()["title"]
                done = "changes are saved" if listing_id else "draft is saved"
                messages.success(request, f"“{title}”: your {done}.")
                return redirect("landlord")
            add_listing_api_errors(form, rows, response.json())
    context = {"form": form, "photos": photos, "listing_id": listing_id}
    return render(request, "landlord/listing_form.html", context, status=status)


@page(role="landlord")
@require_POST
def listing_transition(request, listing_id, action: str):
    response = checked(
        api(LISTINGS).post(f"/api/v1/listings/{listing_id}/{action}", **as_user(request)), 409
    )
    if response.status_code == 409:
        messages.error(request, response.json()["detail"])
    else:
        messages.success(request, TRANSITIONS[action].format(title=response.json()["title"]))
    return redirect("landlord")


@page(role="landlord")
def listing_applications(request, listing_id):
    try:
        listing = get_json(request, LISTINGS, f"/api/v1/listings/{listing_id}")
    except ServiceUnavailable:
        listing = None  # only the heading needs it: the applications name their listing
    context = {"listing": listing}
    number = page_number(request)
    try:
        data = get_json(
            request,
            APPLICATIONS,
            "/api/v1/applications",
            listing_id=str(listing_id),
            page=number,
            page_size=PAGE_SIZE,
        )
    except ServiceUnavailable as error:
        return render_unavailable(request, "landlord/listing_applications.html", context, error)
    context["applications"] = data["results"]
    context["pagination"] = Pagination.of(request, data, page=number, page_size=PAGE_SIZE)
    return render(request, "landlord/listing_applications.html", context)
