"""Forgotten passwords: ask for a link by email, then set a new password through it.

The link's token is a credential: the reset page takes it from the query string
into a hidden form field, so the address the form posts to carries none, and
the page sends no Referer anywhere (Referrer-Policy: no-referrer)."""

from django.contrib import messages
from django.shortcuts import redirect, render

from frontend.api import checked, credentials, forwarded_for, retry_after_message
from frontend.forms import ForgotPasswordForm, ResetPasswordForm, add_api_errors
from frontend.pages import page, unavailable_message
from kernel.http import ServiceUnavailable

LINK_NOT_VALID = "This reset link has expired or was already used. Ask for a new one below."


def _ask_accounts(request, form, path: str, payload: dict):
    """POST to accounts as the visitor, whose address is forwarded for accounts' limits.

    Returns accounts' answer and the page's status; the answer is None when accounts
    is out of reach or refused for too many tries, with the reason set on the form."""
    try:
        response = checked(
            credentials().post(path, json=payload, anonymous=True, headers=forwarded_for(request)),
            400,
            429,
        )
    except ServiceUnavailable as error:
        form.add_error(None, unavailable_message(error))
        return None, 503
    if response.status_code == 429:
        form.add_error(None, retry_after_message(response))
        return None, 429
    return response, 200


@page()
def forgot_password(request):
    form = ForgotPasswordForm(request.POST or None)
    status, sent = 200, False
    if form.is_valid():
        response, status = _ask_accounts(
            request, form, "/api/v1/accounts/password-reset", form.cleaned_data
        )
        if response is not None:
            if response.status_code == 202:
                sent = True  # the same page whether or not the address has an account
            else:
                add_api_errors(form, response.json())
    context = {"form": form, "sent": sent, "email": form.cleaned_data.get("email") if sent else ""}
    return render(request, "forgot_password.html", context, status=status)


@page()
def reset_password(request):
    if request.method == "POST":
        form = ResetPasswordForm(request.POST)
    else:
        form = ResetPasswordForm(initial={"token": request.GET.get("token", "")})
    status = 200
    link_not_valid = request.method == "GET" and not request.GET.get("token")
    if request.method == "POST" and form.is_valid():
        payload = {
            "token": form.cleaned_data["token"],
            "new_password": form.cleaned_data["new_password"],
        }
        response, status = _ask_accounts(
            request, form, "/api/v1/accounts/password-reset/confirm", payload
        )
        if response is not None:
            if response.status_code == 204:
                messages.success(request, "Your password is changed. Sign in with it now.")
                return redirect("signin")
            body = response.json()
            link_not_valid = body.pop("token", None) is not None
            add_api_errors(form, body)
    if "token" in form.errors:  # the hidden field: there was no token to post
        link_not_valid = True
    context = {"form": form, "link_not_valid": link_not_valid, "link_message": LINK_NOT_VALID}
    response = render(request, "reset_password.html", context, status=status)
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response
