"""Staff accounts are made by `manage.py create_staff`, through the registration
service: the same claim on the email and the same user_registered event as a sign-up."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.accounts.models import EmailClaim, User
from kernel.models import OutboxEvent

pytestmark = pytest.mark.django_db
PASSWORD = "a long and unusual staff passphrase"


@pytest.fixture(autouse=True)
def staff_password(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)


def _create(email: str = "olga@ops.example", **options) -> None:
    call_command(
        "create_staff", email=email, full_name="Olga Operations", interactive=False, **options
    )


def test_a_superuser_is_registered_with_its_claim_and_event():
    _create(superuser=True)

    user = User.objects.get(email="olga@ops.example")
    assert (user.is_staff, user.is_superuser, user.role) == (True, True, "landlord")
    assert user.check_password(PASSWORD)
    assert EmailClaim.objects.get(email="olga@ops.example").user_id == user.id
    event = OutboxEvent.objects.get(event_type="accounts.user_registered")
    assert event.envelope["payload"]["user_id"] == str(user.id)


def test_without_superuser_it_is_staff_only():
    _create()
    user = User.objects.get(email="olga@ops.example")
    assert (user.is_staff, user.is_superuser) == (True, False)


def test_an_existing_email_is_refused_and_left_alone():
    _create()
    with pytest.raises(CommandError, match="already exists"):
        _create(superuser=True)
    assert User.objects.filter(email="olga@ops.example").count() == 1
    assert not User.objects.get(email="olga@ops.example").is_superuser


def test_a_weak_password_is_refused(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "12345")
    with pytest.raises(CommandError, match="too short"):
        _create()
    assert not User.objects.exists()


def test_without_a_password_and_without_input_it_refuses(monkeypatch):
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD")
    with pytest.raises(CommandError, match="DJANGO_SUPERUSER_PASSWORD"):
        _create()


def test_the_model_manager_makes_no_account_behind_the_services_back():
    with pytest.raises(NotImplementedError, match="create_staff"):
        User.objects.create_superuser("olga@ops.example", PASSWORD, full_name="Olga")
    with pytest.raises(NotImplementedError, match="user_register"):
        User.objects.create_user("olga@ops.example", PASSWORD, full_name="Olga")
    assert not User.objects.exists()
