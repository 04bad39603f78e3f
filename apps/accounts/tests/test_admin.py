"""The user admin is read-only: no add, edit or delete, no password hash. Staff
change accounts only through actions that call the services, which publish
events; the staff actions are for superusers alone."""

import pytest

from apps.accounts import services
from apps.accounts.models import User
from apps.accounts.tests.test_api import PASSWORD, events, sign_in

pytestmark = pytest.mark.django_db

ADMIN = "/admin/accounts/accounts/user/"


def account(email: str, **flags) -> User:
    return services.user_register(
        email=email, password=PASSWORD, full_name="Some One", role="renter", **flags
    )


@pytest.fixture
def renter() -> User:
    return account("renter@example.com")


@pytest.fixture
def staff_client(client):
    client.force_login(account("staff@example.com", is_staff=True))
    return client


@pytest.fixture
def superuser_client(client):
    client.force_login(account("root@example.com", is_staff=True, is_superuser=True))
    return client


def act(client, action: str, *users: User):
    return client.post(
        ADMIN,
        {"action": action, "_selected_action": [str(user.pk) for user in users]},
        follow=True,
    )


def test_the_user_admin_cannot_add_edit_or_delete(superuser_client, renter):
    change_page = superuser_client.get(f"{ADMIN}{renter.pk}/change/")
    assert change_page.status_code == 200
    html = change_page.content.decode()
    assert renter.email in html
    assert renter.password not in html  # the hash is never shown
    assert "pbkdf2" not in html
    assert "md5$" not in html
    assert 'name="_save"' not in html
    edit = superuser_client.post(
        f"{ADMIN}{renter.pk}/change/", {"email": "x@example.com", "is_superuser": "on"}
    )
    assert edit.status_code == 403
    assert superuser_client.get(f"{ADMIN}add/").status_code == 403
    assert superuser_client.post(f"{ADMIN}{renter.pk}/delete/", {"post": "yes"}).status_code == 403
    act(superuser_client, "delete_selected", renter)
    renter.refresh_from_db()
    assert (renter.email, renter.is_superuser) == ("renter@example.com", False)


def test_staff_deactivate_and_reactivate_through_events(staff_client, renter):
    changelist = staff_client.get(ADMIN).content.decode()
    assert 'value="deactivate"' in changelist
    assert 'value="reactivate"' in changelist
    assert 'value="delete_selected"' not in changelist

    act(staff_client, "deactivate", renter)
    renter.refresh_from_db()
    assert not renter.is_active
    (deactivated,) = events("accounts.user_deactivated")
    assert deactivated["user_id"] == str(renter.pk)
    assert deactivated["by_user_id"] == str(User.objects.get(email="staff@example.com").pk)
    assert events("accounts.user_sessions_revoked")[-1]["user_id"] == str(renter.pk)
    assert sign_in(staff_client, renter.email).status_code == 401

    act(staff_client, "reactivate", renter)
    renter.refresh_from_db()
    assert renter.is_active
    assert len(events("accounts.user_reactivated")) == 1
    assert sign_in(staff_client, renter.email).status_code == 200


def test_only_superusers_see_and_use_the_staff_actions(staff_client, renter):
    changelist = staff_client.get(ADMIN).content.decode()
    assert 'value="grant_staff"' not in changelist
    assert 'value="revoke_staff"' not in changelist
    act(staff_client, "grant_staff", renter)
    renter.refresh_from_db()
    assert not renter.is_staff
    assert events("accounts.user_staff_granted") == []


def test_staff_cannot_deactivate_staff_or_themselves(staff_client):
    colleague = account("colleague@example.com", is_staff=True)
    me = User.objects.get(email="staff@example.com")
    page = act(staff_client, "deactivate", colleague, me).content.decode()
    assert "Only superusers may do this." in page
    assert "Staff cannot change their own account." in page
    assert User.objects.filter(is_active=False).count() == 0
    assert events("accounts.user_deactivated") == []


def test_superusers_grant_and_revoke_staff_through_events(superuser_client, renter):
    changelist = superuser_client.get(ADMIN).content.decode()
    assert 'value="grant_staff"' in changelist
    act(superuser_client, "grant_staff", renter)
    renter.refresh_from_db()
    assert renter.is_staff
    assert not renter.is_superuser  # nobody is made superuser here
    (granted,) = events("accounts.user_staff_granted")
    assert granted["user_id"] == str(renter.pk)
    act(superuser_client, "grant_staff", renter)  # already staff: no second event
    assert len(events("accounts.user_staff_granted")) == 1

    act(superuser_client, "revoke_staff", renter)
    renter.refresh_from_db()
    assert not renter.is_staff
    assert len(events("accounts.user_staff_revoked")) == 1
