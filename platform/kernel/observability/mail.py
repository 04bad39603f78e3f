"""Django's SMTP backend, traced and timed: a span per batch sent, and for each
message the SMTP server accepted, the time since the event that caused it.

The cause's time comes from the message's EVENT_OCCURRED_AT_HEADER, which the
sender sets (notifications does); a message without it is counted, not timed.
"""

from datetime import UTC, datetime

from django.core.mail.backends.smtp import EmailBackend
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from kernel.observability.metrics import EMAILS_SENT, EVENT_TO_SMTP_SECONDS

EVENT_OCCURRED_AT_HEADER = "X-Hearth-Event-Occurred-At"
_tracer = trace.get_tracer(__name__)


class ObservedSMTPBackend(EmailBackend):
    def send_messages(self, email_messages) -> int:
        with _tracer.start_as_current_span(
            "smtp send",
            kind=SpanKind.CLIENT,
            attributes={
                "server.address": self.host,
                "server.port": self.port,
                "hearth.email.count": len(email_messages or ()),
            },
        ):
            sent = super().send_messages(email_messages)
        if sent:
            accepted_at = datetime.now(UTC)
            EMAILS_SENT.inc(sent)
            for message in email_messages:
                occurred = (message.extra_headers or {}).get(EVENT_OCCURRED_AT_HEADER)
                if occurred:
                    seconds = (accepted_at - datetime.fromisoformat(occurred)).total_seconds()
                    EVENT_TO_SMTP_SECONDS.observe(max(seconds, 0.0))
        return sent
