"""Signing up, in and out: the API's tokens go into the server-side session."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from frontend.api import (
    ACCOUNTS,
    api,
    as_user,
    checked,
    credentials,
    forwarded_for,
    retry_after_message,
)
from frontend.forms import SignInForm, SignUpForm, add_api_errors
from frontend.pages import page, safe_next, unavailable_message
from frontend.session import SignedInUser, sign_in, sign_out
from kernel.http import ServiceUnavailable


def _start_page(user: SignedInUser) -> str:
    return reverse("landlord") if user.is_landlord else reverse("home")


# After a registration, accounts answers the same whether or not the email was
# free; the sign-in that follows fails for a taken one, with this, and nothing more.
NOT_SIGNED_UP = (
    "We could not sign you in with this email and password. If you already have an "
    "account, sign in, or reset your password."
)


def _token_pair(request, email: str, password: str):
    return credentials().post(
        "/api/v1/auth/token",
        json={"email": email, "password": password},
        anonymous=True,
        headers=forwarded_for(request),
    )


@page()
def sign_up(request):
    form = SignUpForm(request.POST or None)
    status = 200
    if form.is_valid():
        data = form.cleaned_data
        try:
            answer = checked(
                credentials().post(
                    "/api/v1/accounts/register",
                    json=data,
                    anonymous=True,
                    headers=forwarded_for(request),
                ),
                400,
                429,
            )
            if answer.status_code == 202:  # signed in at once: no second form to fill
                answer = checked(_token_pair(request, data["email"], data["password"]), 401, 429)
        except ServiceUnavailable as error:
            form.add_error(None, unavailable_message(error))
            status = 503
        else:
            if answer.status_code == 200:
                user = sign_in(request, answer.json())
                messages.success(request, f"Welcome to Hearth, {user.full_name}.")
                return redirect(safe_next(request, _start_page(user)))
            if answer.status_code == 401:
                form.add_error(None, NOT_SIGNED_UP)
            elif answer.status_code == 429:
                form.add_error(None, retry_after_message(answer))
                status = 429
            else:
                add_api_errors(form, answer.json())
    context = {"form": form, "next": safe_next(request, "")}
    return render(request, "signup.html", context, status=status)


@page()
def sign_in_page(request):
    form = SignInForm(request.POST or None)
    status = 200
    if form.is_valid():
        try:
            response = checked(_token_pair(request, **form.cleaned_data), 400, 401, 429)
        except ServiceUnavailable as error:
            form.add_error(None, unavailable_message(error))
            status = 503
        else:
            if response.status_code == 200:
                user = sign_in(request, response.json())
                return redirect(safe_next(request, _start_page(user)))
            if response.status_code == 401:
                form.add_error(None, "The email address or password is not right.")
            elif response.status_code == 429:
                form.add_error(None, retry_after_message(response))
                status = 429
            else:
                add_api_errors(form, response.json())
    context = {"form": form, "next": safe_next(request, "")}
    return render(request, "signin.html", context, status=status)


@require_POST
def sign_out_page(request):
    sign_out(request)
    messages.info(request, "You are signed out.")
    return redirect("home")


@require_POST
def sign_out_everywhere_page(request):
    """Ends every session of the user, on every device, then this one here."""
    if request.hearth_user is None:
        return redirect("signin")
    try:
        checked(
            api(ACCOUNTS).post("/api/v1/auth/logout-everywhere", **as_user(request)), 401
        )  # 401: this session had already ended
    except ServiceUnavailable as error:
        messages.error(request, f"You are still signed in. {unavailable_message(error)}")
        return redirect(safe_next(request, reverse("home")))
    request.session.flush()
    request.hearth_user = None
    messages.info(request, "You are signed out on every device.")
    return redirect("home")
