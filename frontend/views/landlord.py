"""The landlord's pages: their listings, the listing form, publishing, and the
applications each listing received."""

from functools import cache

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from frontend.api import APPLICATIONS, LISTINGS, api, as_user, checked, field_errors, get_json
from frontend.forms import ListingForm, PhotoFormSet, add_listing_api_errors, photo_payload
from frontend.pages import (
    Pagination,
    page,
    page_number,
    render_unavailable,
    unavailable_message,
)
from frontend.photo_forms import PhotoUploadForm
from kernel.http import ServiceClient, ServiceUnavailable

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


# Uploads wait for the photo's check and its storage, so longer than a page's read;
# never retried (a POST), and on listings' own breaker like every other call.
UPLOAD_TIMEOUT = (0.5, 15.0)
PHOTO_STORAGE_DOWN = (
    "Photos cannot be uploaded right now. Your listing is saved; try the photo again in a minute."
)


@cache
def _uploads() -> ServiceClient:
    return ServiceClient(LISTINGS, timeout=UPLOAD_TIMEOUT, retries=0)


@page(role="landlord", template="landlord/photos.html")
def listing_photos(request, listing_id):
    """The listing's photos: upload one (a multipart form, no JavaScript needed),
    caption, move and delete them. Each POST redirects back here (Post/Redirect/Get),
    except an upload the API refused, which shows its message beside the form."""
    base = f"/api/v1/listings/{listing_id}/photos"
    form = PhotoUploadForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "upload":
            form = PhotoUploadForm(request.POST, request.FILES)
            if form.is_valid() and _upload(request, base, form):
                return redirect("listing_photos", listing_id)
            status = 400 if form.errors else 503
        elif action in ("caption", "delete", "up", "down"):
            _change_photo(request, base, action)
            return redirect("listing_photos", listing_id)
    listing = get_json(request, LISTINGS, f"/api/v1/listings/{listing_id}")
    photos = get_json(request, LISTINGS, base)
    context = {"listing": listing, "photos": photos, "form": form}
    return render(request, "landlord/photos.html", context, status=status)


def _upload(request, base: str, form: PhotoUploadForm) -> bool:
    upload = form.cleaned_data["file"]
    try:
        response = checked(
            _uploads().post(
                base,
                files={"file": (upload.name, upload.read(), upload.content_type)},
                data={"caption": form.cleaned_data["caption"]},
                **as_user(request),
            ),
            400,
            409,
        )
    except ServiceUnavailable:
        form.add_error("file", PHOTO_STORAGE_DOWN)
        return False
    if response.status_code >= 400:
        for name, message in field_errors(response.json()):
            form.add_error("file" if name in ("", "file") else "caption", message)
        return False
    messages.success(request, "Your photo is uploaded: it shows on the listing in a moment.")
    return True


def _change_photo(request, base: str, action: str) -> None:
    photo_id = request.POST.get("photo_id", "")
    if action == "caption":
        response = api(LISTINGS).request(
            "PATCH",
            f"{base}/{photo_id}",
            json={"caption": request.POST.get("caption", "")},
            **as_user(request),
        )
        done = "The caption is saved."
    elif action == "delete":
        response = api(LISTINGS).request("DELETE", f"{base}/{photo_id}", **as_user(request))
        done = "The photo is deleted."
    else:
        order = [photo["id"] for photo in get_json(request, LISTINGS, base)]
        if photo_id in order:
            index = order.index(photo_id)
            other = index - 1 if action == "up" else index + 1
            if 0 <= other < len(order):
                order[index], order[other] = order[other], order[index]
        response = api(LISTINGS).request(
            "PUT", f"{base}/order", json={"photo_ids": order}, **as_user(request)
        )
        done = "The photos are reordered."
    response = checked(response, 400, 409)
    if response.status_code >= 400:
        messages.error(request, " ".join(message for _, message in field_errors(response.json())))
    else:
        messages.success(request, done)
