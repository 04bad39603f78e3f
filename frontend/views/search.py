"""Search, a listing's page, and applying for it."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize

from frontend.api import APPLICATIONS, LISTINGS, SEARCH, api, as_user, checked, get_json
from frontend.forms import ApplyForm, SearchForm, add_api_errors
from frontend.pages import Pagination, page, render_unavailable, unavailable_message
from kernel.http import ServiceUnavailable

SEARCH_PAGE_SIZE = 12
SEARCH_WINDOW = 1000  # search pages stop at this result (docs/search.md)
ACTIVE_STATUSES = ("submitted", "approved")


@page()
def home(request):
    """Found through `search` (typo-tolerant, with facets); through listings' own
    PostgreSQL search, and saying so, while `search` is down."""
    form = SearchForm(request.GET)
    context = {"form": form}
    if not form.is_valid():
        return render(request, "home.html", context)
    params = form.params()
    number = params.pop("page", 1)
    try:
        found = _from_search(params, number)
    except ServiceUnavailable:
        context["simpler_search"] = True
        try:
            found = _from_listings(params, number)
        except ServiceUnavailable as error:
            return render_unavailable(request, "home.html", context, error)
    if checked(found, 400).status_code == 400:
        add_api_errors(form, found.json(), SearchForm.API_ALIASES)
        return render(request, "home.html", context)
    data = found.json()
    if "facets" in data:  # search's answer: no next and previous links, pages are counted
        data["previous"] = number > 1
        data["next"] = number * SEARCH_PAGE_SIZE < min(data["count"], SEARCH_WINDOW)
    context["listings"] = data["results"]
    context["facets"] = facet_links(request, data["facets"]) if "facets" in data else None
    # Past some thousands of matches search estimates from a sample (docs/search.md).
    context["estimated"] = data.get("exact") is False
    context["pagination"] = Pagination.of(
        request, data, page=number, page_size=SEARCH_PAGE_SIZE, max_results=SEARCH_WINDOW
    )
    return render(request, "home.html", context)


def _from_search(params: dict, number: int):
    filters = {key: value for key, value in params.items() if key != "ordering"}
    return api(SEARCH).get(
        "/api/v1/search/listings",
        params={
            **filters,
            "sort": SearchForm.SEARCH_SORTS[params.get("ordering") or "relevance"],
            "page": number,
            "page_size": SEARCH_PAGE_SIZE,
        },
        anonymous=True,
    )


def _from_listings(params: dict, number: int):
    if params.get("ordering") == "relevance":  # listings ranks by no relevance
        params = {key: value for key, value in params.items() if key != "ordering"}
    # Anonymous whatever the viewer: the same search for everyone, which listings caches.
    return api(LISTINGS).get(
        "/api/v1/listings",
        params={**params, "page": number, "page_size": SEARCH_PAGE_SIZE},
        anonymous=True,
    )


def facet_links(request, facets: dict) -> list[dict]:
    """Search's facet counts as links that narrow the page's search; bedrooms are
    counts only, since the filter means "at least"."""

    def narrowed(**values) -> str:
        query = request.GET.copy()
        query.pop("page", None)
        for key, value in values.items():
            query[key] = value
        return f"?{query.urlencode()}"

    def price_label(bucket: dict) -> str:
        low, high = bucket["min"], bucket["max"]
        if low is None:
            return f"Under {high:,.0f}"
        return f"{low:,.0f} and over" if high is None else f"{low:,.0f} to {high:,.0f}"

    def price_link(bucket: dict) -> str:
        # A bucket holds its lower bound, not its upper one; max_rent holds both.
        bounds = {"min_rent": bucket["min"], "max_rent": bucket["max"] and bucket["max"] - 0.01}
        return narrowed(**{k: f"{v:.2f}" for k, v in bounds.items() if v is not None})

    groups = [
        (
            "City",
            [
                {"label": c["value"], "count": c["count"], "url": narrowed(city=c["value"])}
                for c in facets["city"]
            ],
        ),
        (
            "Monthly rent",
            [
                {"label": price_label(b), "count": b["count"], "url": price_link(b)}
                for b in facets["price"]
                if b["count"]
            ],
        ),
        (
            "Pets",
            [
                {
                    "label": "Pets allowed" if p["value"] == "true" else "No pets",
                    "count": p["count"],
                    "url": narrowed(pets_allowed=p["value"]),
                }
                for p in facets["pets_allowed"]
            ],
        ),
        (
            "Bedrooms",
            [
                {"label": f"{b['value']} bedroom{pluralize(int(b['value']))}", "count": b["count"]}
                for b in facets["bedrooms"]
            ],
        ),
    ]
    return [{"title": title, "entries": entries} for title, entries in groups if entries]


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
