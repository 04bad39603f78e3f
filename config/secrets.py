"""Create the local stack's secrets that must not live in the repo: one token
signing key pair per deployable (kernel.auth.keys), in HEARTH_JWT_KEY_DIR.
Production mounts keys from its secret store instead and never runs this.

    python -m config.secrets
"""

import os
from pathlib import Path

from config.services import SERVICES
from kernel.auth.keys import generate_missing_keys

LOCAL_KEY_DIR = Path(__file__).resolve().parent.parent / "var" / "secrets" / "jwt"


def main() -> None:
    directory = Path(os.environ.get("HEARTH_JWT_KEY_DIR", LOCAL_KEY_DIR))
    generate_missing_keys(directory, list(SERVICES))


if __name__ == "__main__":
    main()
