"""Every store of the running stack asks who you are, and lets each deployable do
only its own work: PostgreSQL (SCRAM for every role), Redis (an ACL user per
deployable), Kafka (a SCRAM principal per deployable, with ACLs) and Elasticsearch
(a user per deployable). Each deployable's key directory holds only its own private
key, and no secret shows in what the stack prints or logs."""

import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
import redis
import requests
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from django.conf import settings

from config.environment import PROVISIONING, TEST_ONLY_SERVICES, local_env_file, parse_env_file
from config.services import SERVICES
from devstack.api_client import Api
from devstack.layout import (
    ES_PORT,
    HOST,
    KAFKA_CONTROLLER_PORT,
    KAFKA_PORT,
    LOG_DIR,
    POSTGRES_HBA,
    POSTGRES_PORT,
    POSTGRES_SOCKET_DIR,
    REDIS_PORT,
    ROOT,
    SECRETS_DIR,
    SUPERVISOR_CONF,
)

pytestmark = pytest.mark.integration

ES_URL = f"http://{HOST}:{ES_PORT}"


def values(name: str) -> dict[str, str]:
    return parse_env_file(local_env_file(name))


def login(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.username, parts.password


def secrets_of_everyone() -> set[str]:
    """Every generated password and key: what must never be printed or logged."""
    found = set()
    for path in (SECRETS_DIR / "env").glob("*.env"):
        for name, value in parse_env_file(path).items():
            if "PASSWORD" in name or name == "DJANGO_SECRET_KEY":
                found.add(value)
            found.update(re.findall(r"//[^:/@]+:([^@]+)@", value))  # inside URLs
    return {secret for secret in found if len(secret) >= 20}


# --- PostgreSQL -----------------------------------------------------------------


def connect(*, user: str, password: str | None, over_socket: bool = False) -> psycopg.Connection:
    host = str(POSTGRES_SOCKET_DIR) if over_socket else HOST
    return psycopg.connect(
        host=host,
        port=POSTGRES_PORT,
        dbname="hearth",
        user=user,
        password=password or "",
        connect_timeout=5,
    )


@pytest.mark.parametrize("over_socket", [False, True], ids=["tcp", "unix-socket"])
@pytest.mark.parametrize("role", ["hearth_listings", "postgres"])
def test_postgres_refuses_a_role_without_its_password(role, over_socket):
    with pytest.raises(psycopg.OperationalError, match="password"):
        connect(user=role, password=None, over_socket=over_socket)


@pytest.mark.parametrize("over_socket", [False, True], ids=["tcp", "unix-socket"])
def test_postgres_refuses_a_role_with_another_roles_password(over_socket):
    notifications_password = values("notifications")["DATABASE_PASSWORD"]
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        connect(user="hearth_listings", password=notifications_password, over_socket=over_socket)
    # ...while its own password lets it in, on either path.
    with connect(
        user="hearth_listings",
        password=values("listings")["DATABASE_PASSWORD"],
        over_socket=over_socket,
    ) as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("hearth_listings",)


def test_pg_hba_trusts_no_one_and_asks_scram_of_everyone():
    rules = [
        line.split()
        for line in POSTGRES_HBA.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules, "pg_hba.conf has no rules"
    assert {rule[-1] for rule in rules} == {"scram-sha-256"}


# --- Redis ------------------------------------------------------------------------


def redis_as(service: str, db: int = 0) -> redis.Redis:
    url = values(service)["REDIS_URL"].rsplit("/", 1)[0]
    return redis.Redis.from_url(f"{url}/{db}", socket_timeout=3)


def test_redis_without_credentials_gets_noauth():
    # RESP2: the client sends the command itself, not a HELLO first.
    anonymous = redis.Redis(host=HOST, port=REDIS_PORT, protocol=2, socket_timeout=3)
    with pytest.raises(redis.AuthenticationError, match="Authentication required"):
        anonymous.get("listings:1:anything")  # the server's answer: NOAUTH


def test_redis_refuses_a_deployable_with_another_deployables_password():
    user, _ = login(values("listings")["REDIS_URL"])
    _, password = login(values("notifications")["REDIS_URL"])
    client = redis.Redis(host=HOST, port=REDIS_PORT, username=user, password=password)
    with pytest.raises(redis.AuthenticationError):
        client.ping()


def test_listings_reads_and_writes_only_its_own_redis_keys():
    listings = redis_as("listings")
    key = f"listings:credentials-test:{uuid.uuid4().hex}"
    assert listings.set(key, "mine", ex=60)
    assert listings.get(key) == b"mine"
    for foreign in ("notifications:1:anything", "accounts:limit:anything", "no-prefix"):
        with pytest.raises(redis.exceptions.NoPermissionError):
            listings.get(foreign)
        with pytest.raises(redis.exceptions.NoPermissionError):
            listings.set(foreign, "theirs")


def test_listings_cannot_touch_notifications_celery_queue_or_results():
    broker = redis_as("listings", db=1)
    with pytest.raises(redis.exceptions.NoPermissionError):
        broker.lrange("notifications:notifications", 0, -1)  # the queue
    with pytest.raises(redis.exceptions.NoPermissionError):
        broker.smembers("notifications:_kombu.binding.notifications")
    with pytest.raises(redis.exceptions.NoPermissionError):
        broker.publish("notifications:/1.celery.pidbox", "shutdown")
    with pytest.raises(redis.exceptions.NoPermissionError):
        redis_as("listings", db=2).get("notifications:celery-task-meta-anything")
    # Notifications' worker keeps its queue under its own name, where only it may go.
    assert redis_as("notifications", db=1).exists("notifications:_kombu.binding.notifications")


@pytest.mark.parametrize("command", [("FLUSHDB",), ("KEYS", "*"), ("CONFIG", "GET", "*")])
def test_a_deployable_cannot_run_redis_admin_commands(command):
    with pytest.raises(redis.exceptions.NoPermissionError):
        redis_as("listings").execute_command(*command)


# --- Kafka ------------------------------------------------------------------------


def kafka_as(service: str, **extra) -> dict:
    own = values(service)
    return {
        "bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS,
        "security.protocol": settings.KAFKA_SECURITY_PROTOCOL,
        "sasl.mechanism": settings.KAFKA_SASL_MECHANISM,
        "sasl.username": own["KAFKA_USERNAME"],
        "sasl.password": own["KAFKA_PASSWORD"],
        **extra,
    }


def test_kafka_refuses_a_client_without_credentials():
    anonymous = AdminClient({"bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS})
    with pytest.raises(KafkaException):
        anonymous.list_topics(timeout=5)


def test_kafka_refuses_a_client_with_another_principals_password():
    errors = []
    config = kafka_as("listings", error_cb=errors.append)
    config["sasl.password"] = values("applications")["KAFKA_PASSWORD"]
    client = AdminClient(config)
    with pytest.raises(KafkaException):
        client.list_topics(timeout=5)
    client.poll(1)  # serves the error callback
    assert any(error.code() == KafkaError._AUTHENTICATION for error in errors), errors


def produce(config: dict, topic: str) -> KafkaError | None:
    reports = []
    producer = Producer({**config, "message.timeout.ms": 10_000})
    producer.produce(
        topic, key=b"credentials-test", value=b"{}", on_delivery=lambda e, _: reports.append(e)
    )
    producer.flush(15)
    assert len(reports) == 1, "no delivery report within 15 s"
    return reports[0]


def test_listings_cannot_write_to_applications_topic():
    error = produce(kafka_as("listings"), "hearth.applications.v1")
    assert error is not None
    assert error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED


def first_error(config: dict, group: str, topic: str) -> KafkaError | None:
    consumer = Consumer({**config, "group.id": group, "auto.offset.reset": "latest"})
    consumer.subscribe([topic])
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is not None and message.error():
                return message.error()
        return None
    finally:
        consumer.close()


def test_listings_cannot_read_a_topic_it_does_not_consume():
    group = "hearth.listings.credentials-test"  # its own
    error = first_error(kafka_as("listings"), group, "hearth.payments.v1")
    assert error is not None
    assert error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED


@pytest.mark.parametrize("group", ["hearth.notifications", f"unclaimed-{uuid.uuid4().hex[:8]}"])
def test_listings_cannot_join_a_group_not_its_own(group):
    # hearth.notifications is another context's; nobody has an ACL for the other
    # group at all, which allow.everyone.if.no.acl.found=false refuses too.
    error = first_error(kafka_as("listings"), group, "hearth.applications.v1")
    assert error is not None
    assert error.code() == KafkaError.GROUP_AUTHORIZATION_FAILED


def test_listings_cannot_create_another_contexts_topics():
    admin = AdminClient(kafka_as("listings"))
    # validate_only: were it allowed, nothing would be created anyway.
    futures = admin.create_topics([NewTopic("hearth.payments.v2", 1, 1)], validate_only=True)
    future = futures["hearth.payments.v2"]
    with pytest.raises(KafkaException) as refused:
        future.result(30)
    assert refused.value.args[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED


def test_listings_writes_its_own_topic_as_itself():
    """Its relay, signed in as listings, publishes a new listing's events; listings
    (and only a consumer of listings' events) may read them back."""
    landlord = Api().new_user(role="landlord", name="Kafka Landlord")
    listing = landlord.publish(landlord.create_listing(title=f"Loft {uuid.uuid4().hex[:8]}")["id"])
    reader = Consumer(kafka_as("listings", **{"group.id": "hearth.listings.credentials-test"}))
    try:
        topic = "hearth.listings.v1"
        partitions = reader.list_topics(topic, timeout=10).topics[topic].partitions
        starts = []
        for partition in partitions:
            low, high = reader.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
            starts.append(TopicPartition(topic, partition, max(low, high - 200)))
        reader.assign(starts)
        deadline, keys = time.monotonic() + 30, set()
        while listing["id"].encode() not in keys and time.monotonic() < deadline:
            message = reader.poll(1.0)
            if message is not None and not message.error():
                keys.add(message.key())
    finally:
        reader.close()
    assert listing["id"].encode() in keys


# --- Elasticsearch ------------------------------------------------------------------


def test_elasticsearch_refuses_a_request_without_credentials():
    assert requests.get(f"{ES_URL}/_cluster/health", timeout=5).status_code == 401


def test_elasticsearch_lets_a_deployable_use_only_its_own_indices():
    index = f"listings-credentials-test-{uuid.uuid4().hex[:8]}"
    listings = requests.Session()
    listings.auth = login(values("listings")["ELASTICSEARCH_URL"])
    try:
        assert listings.put(f"{ES_URL}/{index}", timeout=30).status_code == 200
        foreign = listings.put(f"{ES_URL}/notifications-{uuid.uuid4().hex[:8]}", timeout=30)
        assert foreign.status_code == 403
        notifications = requests.Session()
        notifications.auth = login(values("notifications")["ELASTICSEARCH_URL"])
        assert notifications.get(f"{ES_URL}/{index}/_search", timeout=30).status_code == 403
    finally:
        listings.delete(f"{ES_URL}/{index}", timeout=30)


# --- every store listens on loopback only -------------------------------------------


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a listening TCP socket on `port` (/proc/net/tcp{,6})."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


LOOPBACK = {
    "0100007F",  # 127.0.0.1
    "0000000000000000FFFF00000100007F",  # ::ffff:127.0.0.1
    "00000000000000000000000001000000",  # ::1
}


@pytest.mark.parametrize(
    "port",
    [POSTGRES_PORT, REDIS_PORT, KAFKA_PORT, KAFKA_CONTROLLER_PORT, ES_PORT, 9300],
    ids=["postgres", "redis", "kafka", "kafka-controller", "elasticsearch", "es-transport"],
)
def test_every_store_listens_on_loopback_only(port):
    addresses = listening_addresses(port)
    assert addresses, f"nothing listens on {port}"
    assert addresses <= LOOPBACK, addresses


# --- keys and secrets -----------------------------------------------------------


@pytest.mark.parametrize("service", [*SERVICES, *TEST_ONLY_SERVICES])
def test_each_deployable_is_given_only_its_own_private_key(service):
    own = values(service)
    key_dir = ROOT / own["HEARTH_JWT_KEY_DIR"]
    private_keys = sorted(path.name for path in key_dir.glob("*.key.pem"))
    assert private_keys == ([f"{service}.key.pem"] if service in SERVICES else [])
    assert {path.name for path in key_dir.glob("*.pub.pem")} >= {f"{s}.pub.pem" for s in SERVICES}
    assert key_dir.stat().st_mode & 0o077 == 0
    # No value in its file names another deployable's key.
    others = [s for s in SERVICES if s != service]
    assert not [v for v in own.values() for other in others if f"jwt/{other}" in v]
    assert not list((SECRETS_DIR / "jwt").glob("*.key.pem")), "a private key outside its directory"


def test_generated_secrets_are_readable_by_their_owner_only():
    for path in [*(SECRETS_DIR / "env").glob("*.env"), *(SECRETS_DIR / "jwt").rglob("*.key.pem")]:
        assert path.stat().st_mode & 0o077 == 0, path
    assert (SECRETS_DIR / "env" / f"{PROVISIONING}.env").exists()


def test_no_secret_shows_in_status_config_or_logs():
    secrets = secrets_of_everyone()
    assert len(secrets) > 20  # every deployable's, found
    status = subprocess.run(
        [sys.executable, "devstack/stack.py", "status"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "NAME" in status.stdout, status.stderr
    texts = {
        "make status": status.stdout + status.stderr,
        "supervisord.conf": SUPERVISOR_CONF.read_text(),
    }
    for log in LOG_DIR.glob("*.log"):
        with log.open("rb") as file:
            file.seek(max(0, log.stat().st_size - 2_000_000))  # the recent part of big logs
            texts[log.name] = file.read().decode(errors="replace")
    # Secrets are URL-safe tokens: look for them among each text's tokens.
    leaks = {
        where
        for where, text in texts.items()
        if secrets & set(re.findall(r"[A-Za-z0-9_-]{20,}", text))
    }
    assert not leaks
