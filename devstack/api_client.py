"""A small client of Hearth's public API through the gateway, and a reader of the
local SMTP sink's mail: shared by the demo-data seeder, the journey tests and the
benchmarks, which all drive the platform from outside, as a user would."""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import requests

from devstack.layout import GATEWAY_PORT, HOST, MAIL_DIR, ROOT

GATEWAY = f"http://{HOST}:{GATEWAY_PORT}"


class ApiError(Exception):
    def __init__(self, response: requests.Response) -> None:
        request = response.request
        super().__init__(
            f"{request.method} {response.url}: {response.status_code} {response.text[:500]}"
        )
        self.response = response


@dataclass
class Api:
    """Calls as one user (with `access`) or anonymously."""

    base_url: str = GATEWAY
    access: str | None = None
    refresh: str | None = None
    user: dict | None = None

    def __post_init__(self) -> None:
        self.http = requests.Session()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if self.access:
            headers["Authorization"] = f"Bearer {self.access}"
        return self.http.request(
            method, f"{self.base_url}{path}", headers=headers, timeout=10, **kwargs
        )

    def call(self, method: str, path: str, *, expect: int = 200, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        if response.status_code != expect:
            raise ApiError(response)
        return response.json() if response.content else None

    # --- accounts ---
    def register(self, *, email: str, password: str, full_name: str, role: str) -> dict:
        """202 whether or not the email was free (accounts tells no one who has an
        account): signing in with the password is what shows the account is ours."""
        body = {"email": email, "password": password, "full_name": full_name, "role": role}
        return self.call("POST", "/api/v1/accounts/register", json=body, expect=202)

    def sign_in(self, *, email: str, password: str) -> "Api":
        tokens = self.call(
            "POST", "/api/v1/auth/token", json={"email": email, "password": password}
        )
        me = Api(self.base_url, access=tokens["access"], refresh=tokens["refresh"])
        me.user = me.call("GET", "/api/v1/accounts/me")
        return me

    def new_user(
        self, *, role: str, name: str = "", password: str = "a-long-demo-passphrase"
    ) -> "Api":
        """Register a user with a unique email and sign in as them."""
        email = f"{role}-{uuid.uuid4().hex[:10]}@example.test"
        self.register(
            email=email, password=password, full_name=name or f"Test {role.title()}", role=role
        )
        return self.sign_in(email=email, password=password)

    # --- listings ---
    def create_listing(self, **fields: Any) -> dict:
        return self.call("POST", "/api/v1/listings", json=listing_fields(**fields), expect=201)

    def publish(self, listing_id: str) -> dict:
        return self.call("POST", f"/api/v1/listings/{listing_id}/publish")

    def search(self, **params: Any) -> dict:
        return self.call("GET", "/api/v1/listings", params=params)

    # --- applications ---
    def apply(self, listing_id: str, *, wait: float = 10.0, **fields: Any) -> dict:
        """Apply; retried for a few seconds while the listing's publication is still
        on its way to applications' read model (eventual consistency)."""
        body = {
            "listing_id": listing_id,
            "move_in_date": (date.today() + timedelta(days=45)).isoformat(),
            "occupants": 2,
            "monthly_income": {"amount": "5200.00", "currency": "EUR"},
            "message": "We would love to live here.",
            **fields,
        }
        deadline = time.monotonic() + wait
        while True:
            response = self.request("POST", "/api/v1/applications", json=body)
            if response.status_code == 201:
                return response.json()
            if (
                response.status_code != 400
                or "listing_id" not in response.json()
                or time.monotonic() > deadline
            ):
                raise ApiError(response)
            time.sleep(0.1)

    def decide(self, application_id: str, decision: str) -> dict:
        return self.call("POST", f"/api/v1/applications/{application_id}/{decision}")


def create_staff_account(*, email: str, password: str, full_name: str) -> None:
    """The one step not done through the API: staff are made the way operators make
    them, with accounts' create_staff command. An account that exists is left alone."""
    completed = subprocess.run(
        [sys.executable, "manage.py", "create_staff", "--superuser", "--noinput", "--email", email],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
            "HEARTH_SERVICE": "accounts",
            "DJANGO_SUPERUSER_PASSWORD": password,
            "DJANGO_SUPERUSER_FULL_NAME": full_name,
        },
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0 and "already" not in completed.stderr:
        raise RuntimeError(f"create_staff failed: {completed.stderr}")


def listing_fields(**overrides: Any) -> dict:
    return {
        "title": "Bright two-bedroom near the park",
        "description": "Quiet street, south-facing balcony, five minutes from the metro.",
        "street_address": "12 Rose Lane",
        "city": "Lisbon",
        "postal_code": "1100-001",
        "country": "PT",
        "latitude": "38.722300",
        "longitude": "-9.139300",
        "monthly_rent": {"amount": "1450.00", "currency": "EUR"},
        "deposit": {"amount": "2900.00", "currency": "EUR"},
        "bedrooms": 2,
        "bathrooms": "1.0",
        "area_sqm": "74.50",
        "amenities": ["balcony", "dishwasher"],
        "pets_allowed": True,
        "available_from": (date.today() + timedelta(days=30)).isoformat(),
        "photos": [{"url": "https://img.hearth.example/demo/1.jpg", "caption": "Living room"}],
        **overrides,
    }


@dataclass(frozen=True)
class Mail:
    path: Path
    message: EmailMessage

    @property
    def to(self) -> str:
        return str(self.message["To"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part else ""

    def header(self, name: str) -> str | None:
        value = self.message[name]
        return str(value) if value is not None else None


class Mailbox:
    """The SMTP sink's folder: one .eml file per accepted message."""

    def __init__(self, directory: Path = MAIL_DIR) -> None:
        self.directory = directory
        self._parsed: dict[Path, Mail] = {}

    def all(self) -> list[Mail]:
        for path in sorted(self.directory.glob("*.eml")):
            if path not in self._parsed:
                with path.open("rb") as file:
                    message = BytesParser(policy=default_policy).parse(file)
                self._parsed[path] = Mail(path, message)
        return list(self._parsed.values())

    def find(self, predicate: Callable[[Mail], bool]) -> list[Mail]:
        return [mail for mail in self.all() if predicate(mail)]

    def wait_for(self, predicate: Callable[[Mail], bool], *, timeout: float = 15.0) -> Mail:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if found := self.find(predicate):
                return found[0]
            time.sleep(0.05)
        raise TimeoutError(f"no matching mail in {self.directory} after {timeout} s")
