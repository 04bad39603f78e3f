"""Accounts against an attacker, through the gateway of the running platform: the
emailed reset link works once in the web UI, a link built from what the event
carries is refused, guessing passwords ends in 429, reset emails are capped,
and nothing tells whether an email has an account."""

import re
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core import signing

from config.environment import local_values
from devstack.api_client import GATEWAY, Api, Mailbox

PASSWORD = "an-original-passphrase"
NEW_PASSWORD = "a-reset-passphrase-2"


def _email(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:10]}@example.test"


def _registered(kind: str = "sec") -> str:
    email = _email(kind)
    Api().register(email=email, password=PASSWORD, full_name="Sam Secure", role="renter")
    return email


def _post(path: str, body: dict) -> requests.Response:
    return requests.post(f"{GATEWAY}{path}", json=body, timeout=15)


def _sign_in(email: str, password: str) -> requests.Response:
    return _post("/api/v1/auth/token", {"email": email, "password": password})


def _reset_link(mailbox: Mailbox, email: str, *, after: int = 0) -> str:
    """The link in the newest reset email to `email` (waiting for more than `after`)."""
    deadline = time.monotonic() + 20
    while True:
        mails = mailbox.find(lambda m: m.to == email and "password" in m.subject.lower())
        if len(mails) > after:
            return re.search(r"(http\S+/reset-password\?token=\S+)", mails[-1].body).group(1)
        assert time.monotonic() < deadline, f"no reset email to {email}"
        time.sleep(0.1)


def _csrf(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def _hidden_token(html: str) -> str:
    return re.search(r'<input type="hidden" name="token" value="([^"]+)"', html).group(1)


def test_the_emailed_link_works_once_in_the_web_ui(mailbox: Mailbox):
    email = _registered()
    assert _post("/api/v1/accounts/password-reset", {"email": email}).status_code == 202
    link = _reset_link(mailbox, email)
    assert link.startswith(f"{GATEWAY}/reset-password?token=")

    browser = requests.Session()
    page = browser.get(link, timeout=15)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    (token,) = parse_qs(urlsplit(link).query)["token"]
    assert _hidden_token(page.text) == token
    form = {
        "csrfmiddlewaretoken": _csrf(page.text),
        "token": token,
        "new_password": NEW_PASSWORD,
        "new_password_again": NEW_PASSWORD,
    }
    done = browser.post(f"{GATEWAY}/reset-password", data=form, timeout=15)
    assert done.status_code == 200  # followed to the sign-in page
    assert urlsplit(done.url).path == "/signin"
    assert "Your password is changed." in done.text
    assert _sign_in(email, NEW_PASSWORD).status_code == 200
    assert _sign_in(email, PASSWORD).status_code == 401

    again_page = browser.get(link, timeout=15)
    again = browser.post(
        f"{GATEWAY}/reset-password",
        data={
            **form,
            "csrfmiddlewaretoken": _csrf(again_page.text),
            "new_password": "one-more-passphrase",
            "new_password_again": "one-more-passphrase",
        },
        timeout=15,
    )
    assert "This reset link has expired or was already used." in again.text
    api_again = _post(
        "/api/v1/accounts/password-reset/confirm",
        {"token": token, "new_password": "another-reset-passphrase"},
    )
    assert api_again.status_code == 400
    assert _sign_in(email, NEW_PASSWORD).status_code == 200


def test_a_link_built_from_the_events_data_is_refused(mailbox: Mailbox):
    """The event carries the request id (the link's part before the dot names the same
    request), the user id, the email and the expiry; none of them, alone or signed
    with accounts' SECRET_KEY as links once were, opens the account."""
    email = _registered()
    assert _post("/api/v1/accounts/password-reset", {"email": email}).status_code == 202
    (token,) = parse_qs(urlsplit(_reset_link(mailbox, email)).query)["token"]
    request_id = token.partition(".")[0]
    assert str(uuid.UUID(request_id)) == request_id
    secret_key = local_values("accounts")["DJANGO_SECRET_KEY"]
    signer = signing.Signer(key=secret_key, salt="hearth.accounts.password-reset", fallback_keys=[])
    forgeries = [
        signer.sign(request_id),
        request_id,
        f"{request_id}.{request_id}",
        f"{request_id}.{signer.signature(request_id)}",
        f"{request_id}.{email}",
    ]
    for forged in forgeries:
        response = _post(
            "/api/v1/accounts/password-reset/confirm",
            {"token": forged, "new_password": NEW_PASSWORD},
        )
        assert response.status_code == 400, forged
        assert "token" in response.json()
    assert _sign_in(email, PASSWORD).status_code == 200


def test_sixty_wrong_passwords_then_the_right_one_get_429_not_a_token():
    email = _registered()
    answers = []
    for attempt in range(60):
        answers.append(_sign_in(email, f"wrong-guess-{attempt}"))
        time.sleep(0.11)  # under the gateway's per-address rate: these reach accounts
    assert {a.status_code for a in answers[:5]} == {401}
    assert {a.status_code for a in answers[5:]} == {429}
    time.sleep(1.1)
    right = _sign_in(email, PASSWORD)
    assert right.status_code == 429
    assert "access" not in right.json()
    assert "failed sign-ins" in right.json()["detail"]  # accounts' lockout, not the gateway
    assert int(right.headers["Retry-After"]) > 60


def test_twenty_five_reset_requests_send_at_most_three_emails(mailbox: Mailbox):
    email = _registered()
    answers = []
    for _ in range(25):
        answers.append(_post("/api/v1/accounts/password-reset", {"email": email}))
        time.sleep(0.11)
    assert {a.status_code for a in answers} == {202}
    assert len({a.text for a in answers}) == 1
    _reset_link(mailbox, email)
    time.sleep(5)  # any further email would be on its way by now
    sent = mailbox.find(lambda m: m.to == email and "password" in m.subject.lower())
    assert 1 <= len(sent) <= 3, [m.path.name for m in sent]


def _same(one: requests.Response, other: requests.Response) -> None:
    assert (one.status_code, one.json()) == (other.status_code, other.json())


@pytest.mark.parametrize("kind", ["register", "token", "reset"])
def test_answers_are_the_same_for_existing_and_unknown_emails(kind):
    existing, unknown = _registered(), _email("unknown")
    if kind == "register":
        calls = [
            _post(
                "/api/v1/accounts/register",
                {"email": e, "password": "yet-another-pass", "full_name": "X Y", "role": "renter"},
            )
            for e in (existing, unknown)
        ]
        assert calls[0].status_code == 202
    elif kind == "token":
        calls = [_sign_in(e, "not-the-password") for e in (existing, unknown)]
        assert calls[0].status_code == 401
    else:
        path = "/api/v1/accounts/password-reset"
        calls = [_post(path, {"email": e}) for e in (existing, unknown)]
        assert calls[0].status_code == 202
    _same(*calls)
