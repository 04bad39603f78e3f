"""Where a deployable's configuration comes from: the environment (12-factor).

In a local run (HEARTH_ENV=local) only, the generated file
var/secrets/env/<service>.env fills in what the environment leaves unset, so
every process of the local stack, a test suite or a `manage.py` typed by hand gets
its own deployable's credentials without a shell full of exports. Production
never has that file: its values come from the environment (Kubernetes Secrets).
The administrator's own values (the stores' superusers) are in the file of
PROVISIONING, which no deployable reads.

Django-free, like config.services: devstack's scripts read these files too.
"""

import os
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL_SECRETS_DIR = ROOT / "var" / "secrets"
LOCAL_ENV_DIR = LOCAL_SECRETS_DIR / "env"
# Not a deployable: whoever provisions the stores (config.provision, devstack/).
PROVISIONING = "provisioning"
# Suites that run as a deployable of their own (config.settings.kernel_tests): they
# get credentials like a deployable, locally only.
TEST_ONLY_SERVICES = ("kernel_tests",)


def is_local() -> bool:
    return os.environ.get("HEARTH_ENV", "local") == "local"


def local_env_file(service: str) -> Path:
    return LOCAL_ENV_DIR / f"{service}.env"


def parse_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; blank lines and # comments are ignored. No quoting, no expansion."""
    if not path.exists():
        return {}
    pairs = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            pairs[key.strip()] = value.strip()
    return pairs


@cache
def local_values(service: str) -> dict[str, str]:
    return parse_env_file(local_env_file(service)) if is_local() else {}


def service_value(service: str, name: str, default: str | None = None) -> str | None:
    """The environment's value of `name`; locally, else the service's generated one."""
    if name in os.environ:
        return os.environ[name]
    return local_values(service).get(name, default)
