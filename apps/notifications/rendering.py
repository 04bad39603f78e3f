"""Emails are plain text, rendered from the templates in templates/notifications/<kind>/.

A subject uses only the notification's stored context, so the API can show it
for any notification; a body may also use what is known only at send time (the
recipient as the directory has them, a password-reset link).
"""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.template import Engine

from apps.notifications.models import Notification

# Plain text: Django's HTML autoescaping would turn "Tom & Jerry's" into entities.
_ENGINE = Engine(dirs=[Path(__file__).parent / "templates"], autoescape=False)


def render_subject(notification: Notification) -> str:
    text = _render(notification, "subject.txt", {})
    # A header is one line, however the template or the event's text is laid out.
    return " ".join(text.split())


def render_body(notification: Notification, **send_time: Any) -> str:
    return _render(notification, "body.txt", send_time)


def _render(notification: Notification, name: str, extra: dict[str, Any]) -> str:
    values = {**notification.context, **extra, "public_url": settings.HEARTH_PUBLIC_URL}
    return _ENGINE.render_to_string(f"notifications/{notification.kind}/{name}", values)
