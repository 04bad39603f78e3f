"""Create the local stack's secrets that must not live in the repo, once:

- per deployable, var/secrets/env/<service>.env: generated values such as its own
  Django SECRET_KEY (read by config.environment in local runs only);
- one token signing key pair per deployable (kernel.auth.keys), in HEARTH_JWT_KEY_DIR.

Production mounts its secrets from its secret store instead and never runs this.

    python -m config.secrets
"""

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from config.environment import LOCAL_SECRETS_DIR, local_env_file, parse_env_file
from config.services import SERVICES
from kernel.auth.keys import generate_missing_keys

LOCAL_KEY_DIR = LOCAL_SECRETS_DIR / "jwt"
# Suites that run as a deployable of their own (config.settings.kernel_tests).
TEST_ONLY_SERVICES = ("kernel_tests",)

# What every deployable is given: name -> how to make a fresh value for a service.
GENERATED: dict[str, Callable[[str], str]] = {
    "DJANGO_SECRET_KEY": lambda service: secrets.token_urlsafe(50),
}


def write_missing_values(service: str) -> list[str]:
    """Add the generated values the service's file lacks; existing ones are kept,
    so a restart never changes a credential. Returns the names added."""
    path = local_env_file(service)
    values = parse_env_file(path)
    missing = [name for name in GENERATED if name not in values]
    if missing:
        values.update({name: GENERATED[name](service) for name in missing})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.parent.chmod(0o700)
        path.touch(mode=0o600)
        path.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
    return missing


def main() -> None:
    for service in (*SERVICES, *TEST_ONLY_SERVICES):
        write_missing_values(service)
    directory = Path(os.environ.get("HEARTH_JWT_KEY_DIR", LOCAL_KEY_DIR))
    generate_missing_keys(directory, list(SERVICES))


if __name__ == "__main__":
    main()
