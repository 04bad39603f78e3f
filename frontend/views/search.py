"""Search, a listing's page, and applying for it."""

from django.contrib import messages
from django.shortcuts import redirect, render

from frontend.api import APPLICATIONS, LISTINGS, api, as_user, checked, get_json
from frontend.forms import ApplyForm, SearchForm, add_api_errors
from frontend.pages import Pagination, page, render_unavailable, unavailable_message
from kernel.http import ServiceUnavailable

SEARCH_PAGE_SIZE = 12
ACTIVE_STATUSES = ("submitted", "approved")


@page()
def home(request):
    form = SearchForm(request.GET)
    context = {"form": form}
    if not form.is_valid():
        return render(request, "home.html", context)
    params = form.params()
    number = params.pop("page", 1)
    try:
        # Anonymous whatever the viewer: the same search for everyone, which
        # listings caches.
        response = api(LISTINGS).get(
            "/api/v1/listings",
            params={**params, "page": number, "page_size": SEARCH_PAGE_SIZE},
            anonymous=True,
        )
    except ServiceUnavailable as error:
        return render_unavailable(request, "home.html", context, error)
    if checked(response, 400).status_code == 400:
        add_api_errors(form, response.json())
        return render(request, "home.html", context)
    data = response.json()
    context["listings"] = data["results"]
    context["pagination"] = Pagination.of(request, data, page=number, page_size=SEARCH_PAGE_SIZE)
    return render(request, "home.html", context)


@page()
def listing(request, listing_id):
    return _listing_page(request, listing_id)


@page(role="renter")
def apply(request, listing_id):
    if request.method != "POST":
        return redirect("listing", listing_id)
    form = ApplyForm(request.POST)
    status = 200
    if form.is_valid():
        try:
            response = checked(
                api(APPLICATIONS).post(
                    "/api/v1/applications",
                    json=form.payload(str(listing_id)),
                    **as_user(request),
                ),
                400,
                409,
            )
        except ServiceUnavailable as error:
            form.add_error(None, unavailable_message(error))
            status = 503
        else:
            if response.status_code == 201:
                title = response.json()["listing_title"]
                messages.success(
                    request,
                    f"Your application for “{title}” is sent. The landlord is told by email.",
                )
                return redirect("applications")
            add_api_errors(form, response.json(), ApplyForm.API_ALIASES)
    return _listing_page(request, listing_id, form, status=status)


def _listing_page(request, listing_id, form: ApplyForm | None = None, status: int = 200):
    listing = get_json(request, LISTINGS, f"/api/v1/listings/{listing_id}")
    context = {"listing": listing}
    user = request.hearth_user
    if user and user.is_renter and listing["status"] == "published":
        if form is None:  # a form sent back with errors says itself what went wrong
            context["my_application"] = _active_application(request, listing_id)
        context["apply_form"] = form or ApplyForm(
            initial={"income_currency": listing["monthly_rent"]["currency"]}
        )
    return render(request, "listing.html", context, status=status)


def _active_application(request, listing_id) -> dict | None:
    """The renter's open application for the listing, if any. Only a hint on the
    page: if applications cannot say, the form shows and the API decides."""
    try:
        data = get_json(request, APPLICATIONS, "/api/v1/applications", listing_id=str(listing_id))
    except ServiceUnavailable:
        return None
    return next((a for a in data["results"] if a["status"] in ACTIVE_STATUSES), None)
