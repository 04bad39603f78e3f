"""Sending: retried while SMTP, the directory or accounts is not ready, never twice."""

import json
import socket
import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from celery.exceptions import Retry
from cryptography.hazmat.primitives import serialization
from django.utils import timezone

from apps.accounts import contracts as accounts
from apps.notifications.models import Notification
from apps.notifications.services import (
    SendDeferred,
    notification_send,
    notifications_claim_stale,
)
from apps.notifications.tasks import send_notification, sweep_pending
from apps.notifications.tests.conftest import (
    notification_for,
    run_as_worker,
    submit_application,
)

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # free once closed: nothing listens there


def test_recipient_missing_is_retried_then_sent_once_the_directory_has_them(
    register, feed, mailbox
):
    landlord_id = str(uuid.uuid4())  # applied to before accounts' event reached us
    renter = register(send=False)
    notification = notification_for(
        submit_application(feed, landlord_id=landlord_id, renter_id=renter["user_id"])
    )

    with pytest.raises(Retry) as retry:
        run_as_worker(send_notification, str(notification.id))
    assert retry.value.when == 1
    notification.refresh_from_db()
    assert notification.status == Notification.Status.PENDING
    assert notification.attempts == 1
    assert "not in the directory" in notification.last_error
    assert mailbox.messages_for(notification.id) == []

    feed(
        accounts.USER_REGISTERED,
        {
            "user_id": landlord_id,
            "email": "late-landlord@example.com",
            "full_name": "Ada Lovelace",
            "role": "landlord",
            "registered_at": "2026-11-25T09:00:00Z",
        },
        aggregate_id=landlord_id,
        send=False,
    )
    run_as_worker(send_notification, str(notification.id), retries=1)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (Notification.Status.SENT, 2)
    assert mailbox.one_for(notification.id)["To"] == "late-landlord@example.com"


def test_recipient_never_known_is_cancelled_after_a_day(register, feed, mailbox):
    renter = register(send=False)
    notification = notification_for(
        submit_application(feed, landlord_id=str(uuid.uuid4()), renter_id=renter["user_id"])
    )
    Notification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - timedelta(days=1, minutes=1)
    )
    run_as_worker(send_notification, str(notification.id))
    notification.refresh_from_db()
    assert notification.status == Notification.Status.CANCELLED
    assert "unknown to the directory" in notification.last_error
    assert mailbox.messages_for(notification.id) == []


def test_smtp_down_is_retried_with_backoff_and_the_mail_goes_out_once_when_it_returns(
    register, settings, mailbox
):
    working_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = closed_port()
    user = register(send=False)
    notification = Notification.objects.get(recipient_id=user["user_id"])

    for retries, countdown in [(0, 1), (1, 2), (2, 4), (10, 15)]:
        with pytest.raises(Retry) as retry:
            run_as_worker(send_notification, str(notification.id), retries=retries)
        assert retry.value.when == countdown  # exponential, capped at 15 s
        assert isinstance(retry.value.exc, SendDeferred)
    notification.refresh_from_db()
    assert notification.status == Notification.Status.PENDING
    assert notification.attempts == 4
    assert "SMTP" in notification.last_error
    assert "Connection refused" in notification.last_error
    assert send_notification.max_retries is None  # the mail waits however long SMTP is down

    settings.EMAIL_PORT = working_port
    run_as_worker(send_notification, str(notification.id), retries=11)
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 5
    mailbox.one_for(notification.id)


def test_a_sent_or_cancelled_notification_is_never_sent_again(register, mailbox):
    user = register()
    notification = Notification.objects.get(recipient_id=user["user_id"])
    assert notification.status == Notification.Status.SENT
    run_as_worker(send_notification, str(notification.id))  # a redelivered task
    notification_send(notification_id=notification.id)
    notification.refresh_from_db()
    assert notification.attempts == 1
    mailbox.one_for(notification.id)


# --- password reset: the link comes from accounts at send time ---------------------


class Accounts(ThreadingHTTPServer):
    """A stand-in for accounts' internal endpoint: issues each reset request's link
    (POST) with the status scripted for it, and checks the caller's service token."""

    def __init__(self, public_key) -> None:
        super().__init__(("127.0.0.1", 0), _AccountsHandler)
        self.public_key = public_key
        self.statuses: dict[str, int] = {}
        self.bodies: dict[str, dict] = {}  # a body other than the link, per request
        self.requests: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _AccountsHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        server: Accounts = self.server
        server.requests.append(f"{self.command} {self.path}")
        prefix, suffix = "/api/v1/accounts/internal/password-resets/", "/link"
        request_id = self.path.removeprefix(prefix).removesuffix(suffix)
        try:
            jwt.decode(
                self.headers["Authorization"].removeprefix("Bearer "),
                server.public_key,
                algorithms=["ES256"],
                audience="hearth-accounts",
                issuer="hearth-notifications",
            )
        except (jwt.InvalidTokenError, AttributeError):
            self._answer(401, {"detail": "bad service token"})
            return
        if not (self.path.startswith(prefix) and self.path.endswith(suffix)):
            self._answer(404, {"detail": "no such path"})
            return
        status = server.statuses.get(request_id, 200)
        link = f"https://hearth.example/reset/{request_id}?token=s3cret"
        body = {"url": link} if status == 200 else {"detail": "nope"}
        self._answer(status, server.bodies.get(request_id, body))

    def _answer(self, status: int, body: dict) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def accounts_service(key_dir, settings):
    public_key = serialization.load_pem_public_key((key_dir / "notifications.pub.pem").read_bytes())
    server = Accounts(public_key)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    settings.HEARTH_SERVICE_URLS = {**settings.HEARTH_SERVICE_URLS, "accounts": server.url}
    yield server
    server.shutdown()
    server.server_close()


def request_reset(feed, user) -> Notification:
    envelope = feed(
        accounts.PASSWORD_RESET_REQUESTED,
        {
            "request_id": str(uuid.uuid4()),
            "user_id": user["user_id"],
            "email": user["email"],
            "full_name": user["full_name"],
            "expires_at": "2026-11-25T10:00:00Z",
        },
        aggregate_id=user["user_id"],
        send=False,
    )
    return notification_for(envelope)


def test_password_reset_emails_the_link_fetched_from_accounts(
    register, feed, accounts_service, mailbox
):
    user = register(send=False)
    notification = request_reset(feed, user)
    request_id = notification.context["request_id"]
    assert "url" not in json.dumps(notification.context)  # the secret is never stored

    run_as_worker(send_notification, str(notification.id))
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert accounts_service.requests == [
        f"POST /api/v1/accounts/internal/password-resets/{request_id}/link"
    ]
    message = mailbox.one_for(notification.id)
    assert message["To"] == user["email"]
    assert message["Subject"] == "Reset your Hearth password"
    assert f"https://hearth.example/reset/{request_id}?token=s3cret" in message.get_content()
    assert "expires at 2026-11-25T10:00:00Z" in message.get_content()


@pytest.mark.parametrize("status", [404, 410])
def test_expired_or_used_reset_link_cancels_the_email(
    register, feed, accounts_service, mailbox, status
):
    notification = request_reset(feed, register(send=False))
    accounts_service.statuses[notification.context["request_id"]] = status
    run_as_worker(send_notification, str(notification.id))
    notification.refresh_from_db()
    assert notification.status == Notification.Status.CANCELLED
    assert str(status) in notification.last_error
    assert mailbox.messages_for(notification.id) == []


def test_accounts_unavailable_retries_the_reset_email(register, feed, accounts_service, mailbox):
    notification = request_reset(feed, register(send=False))
    request_id = notification.context["request_id"]
    accounts_service.statuses[request_id] = 503
    with pytest.raises(Retry):
        run_as_worker(send_notification, str(notification.id))
    notification.refresh_from_db()
    assert notification.status == Notification.Status.PENDING
    assert "accounts is unavailable" in notification.last_error
    assert mailbox.messages_for(notification.id) == []

    del accounts_service.statuses[request_id]  # accounts recovered
    run_as_worker(send_notification, str(notification.id), retries=1)
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    mailbox.one_for(notification.id)


def test_accounts_refusing_our_token_retries_rather_than_cancels(
    register, feed, accounts_service, key_dir
):
    notification = request_reset(feed, register(send=False))
    other_key = serialization.load_pem_public_key((key_dir / "accounts.pub.pem").read_bytes())
    accounts_service.public_key = other_key  # accounts no longer trusts our key
    with pytest.raises(Retry):
        run_as_worker(send_notification, str(notification.id))
    notification.refresh_from_db()
    assert notification.status == Notification.Status.PENDING
    assert "accounts answered 401" in notification.last_error


def test_accounts_answering_without_a_link_retries(register, feed, accounts_service, mailbox):
    notification = request_reset(feed, register(send=False))
    accounts_service.bodies[notification.context["request_id"]] = {"link": "elsewhere"}
    with pytest.raises(Retry):
        run_as_worker(send_notification, str(notification.id))
    notification.refresh_from_db()
    assert notification.status == Notification.Status.PENDING
    assert "without a link" in notification.last_error
    assert mailbox.messages_for(notification.id) == []


# --- the sweeper: tasks lost in Redis --------------------------------------------


def test_sweeper_re_enqueues_only_notifications_left_pending_too_long(
    register, feed, mailbox, eager_celery
):
    renter = register(send=False)
    landlord = register(role="landlord", send=False)
    welcome = Notification.objects.get(recipient_id=renter["user_id"])
    lost = notification_for(
        submit_application(feed, landlord_id=landlord["user_id"], renter_id=renter["user_id"])
    )
    Notification.objects.filter(pk__in=[welcome.pk, lost.pk]).update(
        updated_at=timezone.now() - timedelta(seconds=61)
    )
    # Created just now: its task may still be on its way, so it is not swept.
    in_flight = Notification.objects.get(
        recipient_id=landlord["user_id"], kind=Notification.Kind.WELCOME
    )

    assert sweep_pending() == 2
    for notification in (welcome, lost):
        notification.refresh_from_db()
        assert notification.status == Notification.Status.SENT
        mailbox.one_for(notification.id)
    in_flight.refresh_from_db()
    assert in_flight.status == Notification.Status.PENDING
    assert mailbox.messages_for(in_flight.id) == []
    assert sweep_pending() == 0


def test_swept_notification_is_claimed_so_the_next_sweep_leaves_it_to_its_task(register):
    user = register(send=False)
    Notification.objects.filter(recipient_id=user["user_id"]).update(
        updated_at=timezone.now() - timedelta(minutes=5)
    )
    assert len(notifications_claim_stale()) == 1
    assert notifications_claim_stale() == []  # its re-enqueued task has not run yet
