"""The local stack's Kafka administrator: run by the virtualenv's python, which has
confluent-kafka (devstack's own scripts are standard library only).

    .venv/bin/python devstack/kafka_admin.py ready             metadata, signed in
    .venv/bin/python devstack/kafka_admin.py plaintext-ready   metadata, no sign-in
    .venv/bin/python devstack/kafka_admin.py add-admin         the administrator's SCRAM
                                                               credential, over PLAINTEXT

The bootstrap servers and the administrator's name and password come from the
environment (KAFKA_BOOTSTRAP_SERVERS, KAFKA_ADMIN_USERNAME, KAFKA_ADMIN_PASSWORD),
never from the command line, which any local user can read.
"""

import os
import sys

from confluent_kafka.admin import (
    AdminClient,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)


def admin(signed_in: bool) -> AdminClient:
    config = {"bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"]}
    if signed_in:
        config |= {
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.username": os.environ["KAFKA_ADMIN_USERNAME"],
            "sasl.password": os.environ["KAFKA_ADMIN_PASSWORD"],
        }
    return AdminClient(config)


def main(command: str) -> None:
    if command in ("ready", "plaintext-ready"):
        # A metadata answer means the broker has joined its controller, unlike an open port.
        if not admin(signed_in=command == "ready").list_topics(timeout=2).brokers:
            raise SystemExit("no broker answered")
    elif command == "add-admin":
        user, password = os.environ["KAFKA_ADMIN_USERNAME"], os.environ["KAFKA_ADMIN_PASSWORD"]
        info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192)
        upsertion = UserScramCredentialUpsertion(user, info, password.encode())
        client = admin(signed_in=False)  # kept alive until its futures are done
        for future in client.alter_user_scram_credentials([upsertion]).values():
            future.result(30)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(*sys.argv[1:2] or [""])
