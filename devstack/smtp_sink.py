"""A real SMTP server that delivers every message to a folder, for local development.

Each accepted message is written as one .eml file (the raw bytes received) named
<UTC timestamp>-<uuid>.eml, and logged as one JSON line on stdout. Files appear
whole: each is written under a hidden temporary name, then renamed.

    .venv/bin/python devstack/smtp_sink.py --host 127.0.0.1 --port 1025 --maildir var/mail
"""

import argparse
import asyncio
import json
import os
import signal
import uuid
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session


class MaildirHandler:
    """aiosmtpd handler: every message ends up as a file in `maildir`."""

    def __init__(self, maildir: Path) -> None:
        self.maildir = maildir

    # The name is aiosmtpd's: it calls handle_<SMTP verb> on its handler.
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content
        path = self.store(raw)
        headers = BytesHeaderParser(policy=default_policy).parsebytes(raw)
        record = {
            "time": datetime.now(UTC).isoformat(),
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "subject": str(headers.get("Subject", "")),
            "file": str(path),
        }
        print(json.dumps(record, ensure_ascii=False), flush=True)
        return "250 Message accepted for delivery"

    def store(self, raw: bytes) -> Path:
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex}.eml"
        final = self.maildir / name
        # Hidden and without the .eml suffix: a reader never sees a half-written message.
        temporary = self.maildir / f".{name}.tmp"
        temporary.write_bytes(raw)
        os.replace(temporary, final)
        return final


async def serve(host: str, port: int, maildir: Path) -> None:
    loop = asyncio.get_running_loop()
    handler = MaildirHandler(maildir)
    # An explicit hostname: aiosmtpd's default looks up the FQDN, which hangs offline.
    server = await loop.create_server(lambda: SMTP(handler, hostname="localhost"), host, port)
    stop = asyncio.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    print(
        json.dumps({"event": "listening", "host": host, "port": port, "maildir": str(maildir)}),
        flush=True,
    )
    await stop.wait()
    server.close()
    await server.wait_closed()
    print(json.dumps({"event": "stopped"}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--maildir", type=Path, required=True)
    arguments = parser.parse_args()
    arguments.maildir.mkdir(parents=True, exist_ok=True)
    asyncio.run(serve(arguments.host, arguments.port, arguments.maildir.resolve()))


if __name__ == "__main__":
    main()
