"""The local stack's side of the generated credentials (config.secrets writes them
into var/secrets/env/): who may sign in to Redis, Kafka and Elasticsearch, written
into each server's own files. Only hashes go into files a server reads, except
Kafka's JAAS file (var/secrets/kafka/, mode 0600), which holds the broker's own
password because the broker signs in to itself with it.

Standard library only: the system python runs this.
"""

import base64
import hashlib
import hmac
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from devstack.layout import ENVIRONMENT, ES_CONFIG, KAFKA_JAAS, REDIS_ACL, SERVICE_USER, SERVICES

REDIS_PROBE_USER = "hearth-probe"
# The Redis exporter's user may run only what its scrape of this Redis sends (version
# 1.45, standalone, no key checks): CLIENT SETNAME on its own connection, CONFIG GET
# (maxmemory, the number of databases), INFO, LATENCY LATEST and SLOWLOG LEN and GET.
# No keys, no channels: a leaked exporter password reads no data.
REDIS_EXPORTER_USER = "hearth-exporter"
REDIS_EXPORTER_COMMANDS = (
    "+client|setname",
    "+config|get",
    "+info",
    "+latency|latest",
    "+slowlog|len",
    "+slowlog|get",
)
ES_PROBE_USER = "hearth-probe"
# Celery's broker database (config.secrets): kombu subscribes to these channel
# patterns literally, and Redis matches a PSUBSCRIBE pattern against a user's
# allowed channels as a string, not a glob.
CELERY_BROKER_DB = 1
CELERY_PATTERNS = ("/{db}.celery.pidbox", "/{db}.celeryev/worker.*")


def deployables() -> list[str]:
    """Everyone with credentials of their own: each deployable, and the test suites'."""
    return [*SERVICES, *ENVIRONMENT.TEST_ONLY_SERVICES]


def values_of(name: str) -> dict[str, str]:
    """A deployable's (or PROVISIONING's) generated values."""
    path = ENVIRONMENT.local_env_file(name)
    if not path.exists():
        # An OSError: a probe asked before `make up` made them is simply not healthy.
        raise FileNotFoundError(f"{path} is missing: `python -m config.secrets` creates it")
    return ENVIRONMENT.parse_env_file(path)


def provisioning() -> dict[str, str]:
    return values_of(ENVIRONMENT.PROVISIONING)


def postgres_superuser_password() -> str:
    return urlsplit(provisioning()["DATABASE_ADMIN_URL"]).password


def redis_exporter_password() -> str:
    return provisioning()["REDIS_EXPORTER_PASSWORD"]


def kafka_admin() -> tuple[str, str]:
    values = provisioning()
    return values["KAFKA_ADMIN_USERNAME"], values["KAFKA_ADMIN_PASSWORD"]


@dataclass(frozen=True)
class Login:
    user: str
    password: str


def url_login(url: str) -> Login:
    parts = urlsplit(url)
    return Login(parts.username, parts.password)


def write_secret(path: Path, text: str, owner: str | None = None) -> None:
    """A file only its server (and root) can read; rewritten only when it changes,
    so a server watching it is restarted only for a real change."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    if path.exists() and path.read_text() == text:
        return
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(text)
    if owner:
        shutil.chown(path, owner, owner)


# --- Redis: one ACL user per deployable, keys and channels under its name ---------


def redis_acl() -> str:
    # Redis allows no comments in an ACL file.
    lines = [
        # No anonymous access: a client without credentials gets NOAUTH.
        "user default off resetkeys resetchannels -@all",
        f"user {REDIS_PROBE_USER} on {_redis_hash(provisioning()['REDIS_PROBE_PASSWORD'])} "
        "resetkeys resetchannels -@all +ping",
        f"user {REDIS_EXPORTER_USER} on {_redis_hash(redis_exporter_password())} "
        f"resetkeys resetchannels -@all {' '.join(REDIS_EXPORTER_COMMANDS)}",
    ]
    for name in deployables():
        login = url_login(values_of(name)["REDIS_URL"])
        celery = " ".join(
            f"&{name}:{pattern.format(db=CELERY_BROKER_DB)}" for pattern in CELERY_PATTERNS
        )
        lines.append(
            f"user {login.user} on {_redis_hash(login.password)} resetkeys resetchannels "
            f"~{name}:* &{name}:* {celery} +@all -@dangerous"
        )
    return "\n".join(lines) + "\n"


def _redis_hash(password: str) -> str:
    return "#" + hashlib.sha256(password.encode()).hexdigest()


# --- Kafka: the broker's own identity (the super user) ------------------------------


def kafka_jaas() -> str:
    """The broker listener signs the broker in to itself with SCRAM; the controller
    listener, which has no SCRAM store of its own in KRaft, uses PLAIN with the same
    administrator, defined here."""
    user, password = kafka_admin()
    return (
        "broker.KafkaServer {\n"
        "  org.apache.kafka.common.security.scram.ScramLoginModule required\n"
        f'  username="{user}"\n  password="{password}";\n}};\n'
        "controller.KafkaServer {\n"
        "  org.apache.kafka.common.security.plain.PlainLoginModule required\n"
        f'  username="{user}"\n  password="{password}"\n'
        f'  user_{user}="{password}";\n}};\n'
    )


# --- Elasticsearch: the file realm, one user and role per deployable -----------------

PBKDF2_ITERATIONS = 10_000


def elasticsearch_users(existing: dict[str, str]) -> tuple[str, str, str]:
    """The file realm's users, users_roles and roles.yml. A user's stored hash is
    kept while it still matches its password, so the files change only with one."""
    users = {ES_PROBE_USER: provisioning()["ELASTICSEARCH_PROBE_PASSWORD"]}
    roles = {"hearth_probe": [ES_PROBE_USER]}
    definitions = ["hearth_probe:\n  cluster: [monitor]\n"]
    for name in deployables():
        login = url_login(values_of(name)["ELASTICSEARCH_URL"])
        users[login.user] = login.password
        roles[f"hearth_{name}"] = [login.user]
        definitions.append(
            f"hearth_{name}:\n  indices:\n    - names: ['{name}-*']\n      privileges: [all]\n"
        )
    hashed = {
        user: existing[user] if _pbkdf2_matches(existing.get(user), pw) else _pbkdf2(pw)
        for user, pw in users.items()
    }
    return (
        "".join(f"{user}:{digest}\n" for user, digest in hashed.items()),
        "".join(f"{role}:{','.join(members)}\n" for role, members in roles.items()),
        "".join(definitions),
    )


def _pbkdf2(password: str, salt: bytes | None = None, iterations: int = PBKDF2_ITERATIONS) -> str:
    """Elasticsearch's {PBKDF2} format: PBKDF2-HMAC-SHA512, 256-bit key."""
    salt = salt or os.urandom(32)
    key = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, 32)
    return f"{{PBKDF2}}{iterations}${_b64(salt)}${_b64(key)}"


def _pbkdf2_matches(stored: str | None, password: str) -> bool:
    if not stored or not stored.startswith("{PBKDF2}"):
        return False
    iterations, salt, _ = stored.removeprefix("{PBKDF2}").split("$")
    recomputed = _pbkdf2(password, base64.b64decode(salt), int(iterations))
    return hmac.compare_digest(recomputed, stored)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def render_auth_files() -> None:
    write_secret(REDIS_ACL, redis_acl())
    write_secret(KAFKA_JAAS, kafka_jaas())
    users_file = ES_CONFIG / "users"
    existing = {}
    if users_file.exists():
        existing = dict(
            line.split(":", 1) for line in users_file.read_text().splitlines() if ":" in line
        )
    users, users_roles, roles = elasticsearch_users(existing)
    # Elasticsearch (the service user) reads them, and reloads them within seconds.
    write_secret(users_file, users, SERVICE_USER)
    write_secret(ES_CONFIG / "users_roles", users_roles, SERVICE_USER)
    write_secret(ES_CONFIG / "roles.yml", roles, SERVICE_USER)


# --- PostgreSQL: a SCRAM verifier, so a password is never sent in the clear ------------


def scram_sha_256_verifier(password: str, iterations: int = 4096) -> str:
    """What PostgreSQL stores for a password (RFC 5802/7677), as libpq computes it."""
    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    return f"SCRAM-SHA-256${iterations}:{_b64(salt)}${_b64(stored_key)}:{_b64(server_key)}"
