"""One spelling per email (trimmed, lower case, IDNA), look-alike domains refused,
and passwords checked by Django's validators against the user's own name and email."""

import pytest

from apps.accounts.models import EmailClaim, User
from apps.accounts.selectors import normalize_email
from apps.accounts.tests.test_api import PASSWORD, new_user, register, sign_in
from kernel import errors

pytestmark = pytest.mark.django_db

CYRILLIC_A = "\u0430"
LOOK_ALIKE = f"billing@p{CYRILLIC_A}ypal.com"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("  Ada@Example.COM ", "ada@example.com"),
        ("ada@bücher.de", "ada@xn--bcher-kva.de"),
        ("ada@BÜCHER.DE", "ada@xn--bcher-kva.de"),
        ("ada@xn--bcher-kva.de", "ada@xn--bcher-kva.de"),
        ("ivan@пример.рф", "ivan@xn--e1afmkfd.xn--p1ai"),
        ("taro@例え.jp", "taro@xn--r8jz45g.jp"),  # Han with Hiragana is one language
    ],
)
def test_emails_have_one_stored_form(given, stored):
    assert normalize_email(given) == stored


@pytest.mark.parametrize(
    "email",
    [
        LOOK_ALIKE,
        "billing@xn--pypal-4ve.com",  # the same look-alike, already in IDNA form
        f"x@g{CYRILLIC_A}llery.example.com",
        "x@-bad-.com",
        "x@a..b",
        "no-at-sign",
    ],
)
def test_look_alike_and_broken_domains_are_refused(email):
    with pytest.raises(errors.Invalid) as refused:
        normalize_email(email)
    assert set(refused.value.fields) == {"email"}


def test_an_idn_email_registers_once_in_any_spelling_and_signs_in(client):
    assert register(client, email="Ada@Bücher.de").status_code == 202
    assert register(client, email="ada@xn--bcher-kva.de").status_code == 202
    assert User.objects.count() == 1
    assert EmailClaim.objects.get().email == "ada@xn--bcher-kva.de"
    assert sign_in(client, "ADA@BÜCHER.DE").status_code == 200


def test_a_look_alike_domain_is_a_field_error_on_every_endpoint(client):
    registered = register(client, email=LOOK_ALIKE)
    assert registered.status_code == 400
    assert set(registered.json()) == {"email"}
    assert "alphabets" in registered.json()["email"][0]
    signed_in = sign_in(client, LOOK_ALIKE)
    assert signed_in.status_code == 400
    assert set(signed_in.json()) == {"email"}
    reset = client.post(
        "/api/v1/accounts/password-reset", {"email": LOOK_ALIKE}, content_type="application/json"
    )
    assert reset.status_code == 400
    assert set(reset.json()) == {"email"}
    assert User.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"full_name": "Marie Curie", "password": "mariecurie"}, "too similar to the full name"),
        ({"full_name": "Marie Curie", "password": "Curie-Marie"}, "too similar to the full name"),
        (
            {"email": "sklodowska@example.com", "password": "sklodowska1"},
            "too similar to the email",
        ),
        ({"password": "iloveyou123"}, "too common"),
        ({"password": "qwertyuiop"}, "too common"),
        ({"password": "8675309112358"}, "entirely numeric"),
        ({"password": "short-1"}, "too short"),
    ],
)
def test_register_checks_the_password_against_the_name_email_and_common_list(
    client, overrides, reason
):
    response = register(client, **overrides)
    assert response.status_code == 400
    assert set(response.json()) == {"password"}
    assert any(reason in message for message in response.json()["password"])
    assert User.objects.count() == 0


def test_a_good_password_passes(client):
    new_user(client, full_name="Marie Curie", password=PASSWORD)
    assert User.objects.count() == 1
