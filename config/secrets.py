"""Create the local stack's secrets that must not live in the repo, once:

- per deployable, var/secrets/env/<service>.env: its own credentials for every
  store (Django's SECRET_KEY, its PostgreSQL role's password, its Redis, Kafka and
  Elasticsearch users) and where its token keys are (read by config.environment in
  local runs only);
- var/secrets/env/provisioning.env: what only the administrator holds, the stores'
  superusers and the local stack's probes (config.provision, devstack/);
- per deployable, var/secrets/jwt/<service>/: its own token signing key and the
  public keys of all (kernel.auth.keys), so no deployable's key directory holds
  another's private key.

Production mounts its secrets from its secret store instead and never runs this.

    python -m config.secrets
"""

import secrets
import shutil
from collections.abc import Callable

from config.environment import (
    LOCAL_SECRETS_DIR,
    PROVISIONING,
    TEST_ONLY_SERVICES,
    local_env_file,
    parse_env_file,
)
from config.services import SERVICES
from kernel.auth.keys import generate_missing_keys

LOCAL_KEY_DIR = LOCAL_SECRETS_DIR / "jwt"

# The local stack's servers (devstack/layout.py has the same ports).
POSTGRES = "127.0.0.1:5433"
REDIS = "redis://{user}:{password}@127.0.0.1:6380"
ELASTICSEARCH = "http://{user}:{password}@127.0.0.1:9200"
# Redis databases: the cache, Celery's broker, Celery's results.
CACHE_DB, BROKER_DB, RESULTS_DB = 0, 1, 2


def password() -> str:
    return secrets.token_urlsafe(32)  # URL-safe: it goes into REDIS_URL and the like


def access_key_id() -> str:
    return "HEARTH" + secrets.token_hex(7).upper()  # 20 characters, as S3's key ids


def redis_url(service: str, values: dict[str, str], db: int) -> str:
    """The service's Redis user, with the password of its REDIS_URL (one ACL user)."""
    if "REDIS_URL" in values:
        base = values["REDIS_URL"].rsplit("/", 1)[0]
    else:
        base = REDIS.format(user=f"hearth-{service}", password=password())
    return f"{base}/{db}"


Generator = Callable[[str, dict[str, str]], str]

# What every deployable is given: name -> how to make a fresh value for a service,
# from the values it already has (so its Redis URLs share one user and password).
GENERATED: dict[str, Generator] = {
    "DJANGO_SECRET_KEY": lambda service, values: secrets.token_urlsafe(50),
    "DATABASE_PASSWORD": lambda service, values: password(),
    "REDIS_URL": lambda service, values: redis_url(service, values, CACHE_DB),
    "CELERY_BROKER_URL": lambda service, values: redis_url(service, values, BROKER_DB),
    "CELERY_RESULT_BACKEND": lambda service, values: redis_url(service, values, RESULTS_DB),
    "KAFKA_USERNAME": lambda service, values: f"hearth-{service}",
    "KAFKA_PASSWORD": lambda service, values: password(),
    "ELASTICSEARCH_URL": lambda service, values: ELASTICSEARCH.format(
        user=f"hearth-{service}", password=password()
    ),
    # Relative to the repository: its own key, and everyone's public keys.
    "HEARTH_JWT_KEY_DIR": lambda service, values: f"var/secrets/jwt/{service}",
}

# What one deployable alone is given, besides GENERATED. Payments' provider keys are
# local-only test values for stripe-mock (which takes any sk_test_ key); production's
# come from its Secret.
SERVICE_GENERATED: dict[str, dict[str, Generator]] = {
    "payments": {
        "STRIPE_API_KEY": lambda service, values: f"sk_test_{secrets.token_hex(24)}",
        "STRIPE_WEBHOOK_SECRET": lambda service, values: f"whsec_{secrets.token_hex(24)}",
    },
    # Its S3 key pair (SeaweedFS locally, devstack/object_storage.py): photos.
    "listings": {
        "OBJECT_STORAGE_ACCESS_KEY_ID": lambda service, values: access_key_id(),
        "OBJECT_STORAGE_SECRET_ACCESS_KEY": lambda service, values: password(),
    },
}

# What the administrator is given: the superusers, and the probes of the local stack.
PROVISIONING_VALUES: dict[str, Generator] = {
    "DATABASE_ADMIN_URL": lambda _, values: (
        f"postgresql://postgres:{password()}@{POSTGRES}/postgres"
    ),
    "KAFKA_ADMIN_USERNAME": lambda _, values: "hearth-admin",
    "KAFKA_ADMIN_PASSWORD": lambda _, values: password(),
    "REDIS_PROBE_PASSWORD": lambda _, values: password(),
    # The Redis exporter's ACL user (devstack/credentials.py): INFO and the like, no keys.
    "REDIS_EXPORTER_PASSWORD": lambda _, values: password(),
    "ELASTICSEARCH_PROBE_PASSWORD": lambda _, values: password(),
    # Object storage's administrator, who creates the buckets (config.provision).
    "OBJECT_STORAGE_ADMIN_ACCESS_KEY_ID": lambda _, values: access_key_id(),
    "OBJECT_STORAGE_ADMIN_SECRET_ACCESS_KEY": lambda _, values: password(),
}


def write_missing_values(service: str, generated: dict[str, Generator] = GENERATED) -> list[str]:
    """Add the generated values the service's file lacks; existing ones are kept,
    so a restart never changes a credential. Returns the names added."""
    path = local_env_file(service)
    values = parse_env_file(path)
    missing = [name for name in generated if name not in values]
    for name in missing:
        values[name] = generated[name](service, values)
    if missing:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.parent.chmod(0o700)
        path.touch(mode=0o600)
        path.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
    return missing


def distribute_keys(services: list[str], readers: list[str]) -> None:
    """Each service's key pair in its own directory; every reader's directory gets
    every public key. A key pair from the earlier flat layout (var/secrets/jwt/
    <service>.key.pem) moves into its owner's directory, so tokens stay valid."""
    LOCAL_KEY_DIR.mkdir(parents=True, exist_ok=True)
    LOCAL_KEY_DIR.chmod(0o700)
    for service in services:
        own = LOCAL_KEY_DIR / service
        own.mkdir(parents=True, exist_ok=True)
        own.chmod(0o700)
        for suffix in (".key.pem", ".pub.pem"):
            flat = LOCAL_KEY_DIR / f"{service}{suffix}"
            if flat.exists() and not (own / flat.name).exists():
                flat.rename(own / flat.name)
            flat.unlink(missing_ok=True)
        generate_missing_keys(own, [service])
    for reader in readers:
        directory = LOCAL_KEY_DIR / reader
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o700)
        for service in services:
            public = LOCAL_KEY_DIR / service / f"{service}.pub.pem"
            if reader != service:
                shutil.copyfile(public, directory / public.name)


def main() -> None:
    LOCAL_SECRETS_DIR.mkdir(parents=True, exist_ok=True)
    LOCAL_SECRETS_DIR.chmod(0o700)  # root's alone; each server gets its own derived file
    deployables = [*SERVICES, *TEST_ONLY_SERVICES]
    for service in deployables:
        write_missing_values(service, GENERATED | SERVICE_GENERATED.get(service, {}))
    write_missing_values(PROVISIONING, PROVISIONING_VALUES)
    distribute_keys(list(SERVICES), readers=deployables)


if __name__ == "__main__":
    main()
