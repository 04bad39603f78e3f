"""The images this folder builds besides the deployables, run for real: the SMTP sink
keeps a message sent to it, Traefik answers its ping; both on a read-only root
filesystem as uid 10001, and both stop on SIGTERM with exit 0."""

import os
import smtplib
import time
from email.message import EmailMessage

import pytest

from containers.tests.conftest import built, podman, wait_for_status

SMTP_PORT = 18180
TRAEFIK_PORT = 18181
IMAGES = {"smtp-sink": "localhost/hearth/hearth-smtp-sink:1"}
IMAGES["traefik"] = "localhost/hearth/hearth-traefik:3.6.12"


@pytest.fixture(scope="module")
def infra_images() -> dict[str, str]:
    return built(IMAGES)


def stop_cleanly(container: str) -> None:
    podman("kill", "--signal", "TERM", container)
    exit_code = podman("wait", container, timeout=30).stdout.strip()
    logs = podman("logs", container)
    podman("rm", "--force", "--ignore", container)
    assert exit_code == "0", logs.stdout[-2000:] + logs.stderr[-2000:]


def test_smtp_sink_keeps_every_message(infra_images, tmp_path):
    maildir = tmp_path / "mail"
    maildir.mkdir()
    os.chown(maildir, 10001, 10001)  # the sink's user, as a volume's fsGroup would
    container = "hearth-image-test-smtp"
    podman("rm", "--force", "--ignore", container)
    podman(
        *("run", "--detach", "--name", container, "--read-only"),
        *("--publish", f"127.0.0.1:{SMTP_PORT}:1025", "--volume", f"{maildir}:/var/mail/hearth"),
        infra_images["smtp-sink"],
    )
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@hearth.test", "b@hearth.test", "hi"
    message.set_content("kept")
    deadline = time.monotonic() + 30
    while True:
        try:
            with smtplib.SMTP("127.0.0.1", SMTP_PORT, timeout=5) as client:
                client.send_message(message)
            break
        except (OSError, smtplib.SMTPException):
            assert time.monotonic() < deadline, podman("logs", container).stdout
            time.sleep(0.3)
    stop_cleanly(container)
    kept = list(maildir.glob("*.eml"))
    assert len(kept) == 1
    assert b"Subject: hi" in kept[0].read_bytes()


def ping_once_routed(container: str) -> tuple[int, bytes]:
    """Its entrypoint listens before the ping's router is loaded: 404 until then."""
    deadline = time.monotonic() + 30
    while True:
        answer = wait_for_status(f"http://127.0.0.1:{TRAEFIK_PORT}/ping", 30, container)
        if answer[0] != 404 or time.monotonic() > deadline:
            return answer
        time.sleep(0.3)


def test_traefik_answers_its_ping(infra_images):
    container = "hearth-image-test-traefik"
    podman("rm", "--force", "--ignore", container)
    podman(
        *("run", "--detach", "--name", container, "--read-only"),
        *("--publish", f"127.0.0.1:{TRAEFIK_PORT}:8000", infra_images["traefik"]),
        *("--entrypoints.web.address=:8000", "--ping=true", "--ping.entrypoint=web"),
    )
    assert ping_once_routed(container) == (200, b"OK")
    version = podman("exec", container, "/usr/local/bin/traefik", "version", check=False)
    assert "3.6.12" in version.stdout, version.stdout + version.stderr
    stop_cleanly(container)
