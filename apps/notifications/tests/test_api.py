"""GET /api/v1/notifications: the caller's own notifications, newest first."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.notifications.models import Notification
from apps.notifications.tests.conftest import submit_application
from kernel.testing.auth import user_tokens

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications"


def as_user(user: dict) -> dict[str, str]:
    return user_tokens(user_id=user["user_id"], role=user["role"], email=user["email"]).header


def test_lists_only_the_callers_notifications_newest_first(register, feed, client):
    landlord = register(role="landlord")
    renter = register()
    submit_application(feed, landlord_id=landlord["user_id"], renter_id=renter["user_id"])
    welcome = Notification.objects.get(recipient_id=landlord["user_id"], kind="welcome")
    Notification.objects.filter(pk=welcome.pk).update(
        created_at=timezone.now() - timedelta(minutes=1)
    )

    response = client.get(URL, headers=as_user(landlord))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    results = body["results"]
    assert [item["kind"] for item in results] == ["application_submitted", "welcome"]
    newest = results[0]
    assert set(newest) == {"id", "kind", "subject", "status", "created_at", "sent_at", "attempts"}
    assert newest["subject"] == "New application for Bright two-bedroom near the park"
    assert newest["status"] == "pending"
    assert newest["sent_at"] is None
    assert newest["attempts"] == 0
    assert results[1]["id"] == str(welcome.id)
    assert results[1]["subject"] == "Welcome to Hearth, Ada Lovelace"
    assert results[1]["status"] == "sent"
    assert results[1]["sent_at"] is not None
    assert results[1]["attempts"] == 1

    renters = client.get(URL, headers=as_user(renter)).json()
    assert [item["kind"] for item in renters["results"]] == ["welcome"]


def test_is_paginated(register, client):
    user = register()
    for _ in range(3):
        register(send=False)  # other users' notifications are not counted
    first = client.get(URL, {"page_size": 1}, headers=as_user(user)).json()
    assert first["count"] == 1
    assert len(first["results"]) == 1
    assert first["next"] is None


def test_someone_with_no_notifications_gets_an_empty_list(client):
    stranger = {"user_id": str(uuid.uuid4()), "role": "renter", "email": "x@example.com"}
    response = client.get(URL, headers=as_user(stranger))
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_requires_a_token(client):
    assert client.get(URL).status_code == 401
    bad = client.get(URL, headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401


def test_is_read_only(register, client):
    user = register(send=False)
    assert client.post(URL, {}, headers=as_user(user)).status_code == 405


@pytest.mark.parametrize("model", ["notification", "recipient"])
def test_admin_lists_and_shows_notifications_and_recipients(register, admin_client, model):
    user = register()
    row = (
        Notification.objects.get(recipient_id=user["user_id"]).pk
        if model == "notification"
        else user["user_id"]
    )
    changelist = admin_client.get(f"/admin/notifications/notifications/{model}/")
    assert changelist.status_code == 200
    assert str(row) in changelist.content.decode()
    page = admin_client.get(f"/admin/notifications/notifications/{model}/{row}/change/")
    assert page.status_code == 200
