"""Signing up, in and out: the API's tokens go into the server-side session."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from frontend.api import ACCOUNTS, api, checked
from frontend.forms import SignInForm, SignUpForm, add_api_errors
from frontend.pages import page, safe_next, unavailable_message
from frontend.session import SignedInUser, sign_in, sign_out
from kernel.http import ServiceUnavailable


def _start_page(user: SignedInUser) -> str:
    return reverse("landlord") if user.is_landlord else reverse("home")


def _token_pair(email: str, password: str):
    return api(ACCOUNTS).post(
        "/api/v1/auth/token", json={"email": email, "password": password}, anonymous=True
    )


@page()
def sign_up(request):
    form = SignUpForm(request.POST or None)
    status = 200
    if form.is_valid():
        data = form.cleaned_data
        try:
            response = checked(
                api(ACCOUNTS).post("/api/v1/accounts/register", json=data, anonymous=True), 400
            )
            if response.status_code == 201:  # signed in at once: no second form to fill
                tokens = checked(_token_pair(data["email"], data["password"])).json()
        except ServiceUnavailable as error:
            form.add_error(None, unavailable_message(error))
            status = 503
        else:
            if response.status_code == 201:
                user = sign_in(request, tokens)
                messages.success(request, f"Welcome to Hearth, {user.full_name}.")
                return redirect(safe_next(request, _start_page(user)))
            add_api_errors(form, response.json())
    context = {"form": form, "next": safe_next(request, "")}
    return render(request, "signup.html", context, status=status)


@page()
def sign_in_page(request):
    form = SignInForm(request.POST or None)
    status = 200
    if form.is_valid():
        try:
            response = checked(_token_pair(**form.cleaned_data), 400, 401)
        except ServiceUnavailable as error:
            form.add_error(None, unavailable_message(error))
            status = 503
        else:
            if response.status_code == 200:
                user = sign_in(request, response.json())
                return redirect(safe_next(request, _start_page(user)))
            if response.status_code == 401:
                form.add_error(None, "The email address or password is not right.")
            else:
                add_api_errors(form, response.json())
    context = {"form": form, "next": safe_next(request, "")}
    return render(request, "signin.html", context, status=status)


@require_POST
def sign_out_page(request):
    sign_out(request)
    messages.info(request, "You are signed out.")
    return redirect("home")
