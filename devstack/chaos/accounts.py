"""The load's pool of users, made inside the cluster when the API may not make
them: production allows 20 registrations an hour from one address, and every
client here has the same one. The way operators make accounts (as
devstack.api_client.create_staff_account does locally): accounts' own service,
in one of its pods, the passwords passed on stdin, never on a command line."""

import json

from devstack.chaos import kills

ACCOUNTS_WEB = "hearth.io/deployable=accounts,app.kubernetes.io/component=web"

# Reads JSON [{email, password, role}] from stdin; registers the missing ones.
_SCRIPT = """
import json, sys
from apps.accounts.services import EmailTaken, user_register
for spec in json.loads(sys.stdin.read()):
    try:
        user_register(full_name="Chaos Client", **spec)
    except EmailTaken:
        pass
"""


def register_in_cluster(users: list[dict]) -> None:
    pods = kills.kubectl(
        "get",
        "pods",
        "-l",
        ACCOUNTS_WEB,
        "--field-selector=status.phase=Running",
        "-o",
        "jsonpath={.items[*].metadata.name}",
    ).split()
    if not pods:
        raise RuntimeError("no running accounts pod")
    kills.kubectl(
        "exec",
        "-i",
        pods[0],
        "--",
        "python",
        "/app/manage.py",
        "shell",
        "-c",
        _SCRIPT,
        stdin=json.dumps(users),
        timeout=180,
    )
