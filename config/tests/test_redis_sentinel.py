"""The cache, Celery and the revocation mirror follow a Redis failover.

A real set on loopback, started by the same script the chart's pods run
(containers/redis/hearth-redis): a primary, a replica and three sentinels, with the
production ACL (no anonymous user, the deployable's own user, sentinels that only
say where the primary is). The settings are built by config.settings.base's own
functions from REDIS_SENTINELS-style addresses; then `SENTINEL FAILOVER` promotes
the replica, and each client must reach the new primary.
"""

import os
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.core.cache import cache

from config.settings.base import celery_redis, redis_cache, redis_sentinels
from kernel.auth import revocation

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "containers" / "redis" / "hearth-redis"
HOST = "127.0.0.1"
PRIMARY, REPLICA = 18301, 18302
SENTINEL_PORTS = (18311, 18312, 18313)
MASTER = "hearth"
SERVICE = "kernel_tests"
USER = f"hearth-{SERVICE}"


def _until(condition, timeout: float = 15.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except (redis.RedisError, OSError):
            value = None
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def redis_set(tmp_path_factory):
    base = tmp_path_factory.mktemp("redis-set")
    credentials = base / "credentials"
    (credentials / "users").mkdir(parents=True)
    admin, password = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    (credentials / "admin-password").write_text(admin)
    (credentials / "probe-password").write_text(secrets.token_urlsafe(24))
    url = f"redis://{USER}:{password}@{HOST}:{PRIMARY}"
    (credentials / "users" / SERVICE).write_text(f"{url}/0")
    sentinels = ",".join(f"{HOST}:{port}" for port in SENTINEL_PORTS)
    processes = []

    def start(name: str, mode: str, port: int) -> None:
        for sub in ("config", "data"):
            (base / name / sub).mkdir(parents=True)
        environment = {
            "PATH": os.environ["PATH"],
            "CREDENTIALS_DIR": str(credentials),
            "CONFIG_DIR": str(base / name / "config"),
            "DATA_DIR": str(base / name / "data"),
            "ANNOUNCE_HOST": HOST,
            "PORT": str(port),
            "INITIAL_PRIMARY": f"{HOST}:{PRIMARY}",
            "SENTINELS": sentinels,
            "DOWN_AFTER_MS": "2000",
            "FAILOVER_TIMEOUT_MS": "6000",
        }
        log = (base / f"{name}.log").open("w")
        processes.append(
            subprocess.Popen([SCRIPT, mode], env=environment, stdout=log, stderr=subprocess.STDOUT)
        )

    start("primary", "server", PRIMARY)
    start("replica", "server", REPLICA)
    for index, port in enumerate(SENTINEL_PORTS):
        start(f"sentinel-{index}", "sentinel", port)
    admin_of = {
        port: redis.Redis(host=HOST, port=port, username="hearth-admin", password=admin)
        for port in (PRIMARY, REPLICA, *SENTINEL_PORTS)
    }
    try:
        _until(
            lambda: admin_of[REPLICA].info("replication")["master_link_status"] == "up",
            what="the replica to sync",
        )
        for port in SENTINEL_PORTS:
            # Each sentinel knows the replica and the two other sentinels: a failover can run.
            _until(
                lambda port=port: (
                    len(admin_of[port].sentinel_slaves(MASTER)) == 1
                    and len(admin_of[port].sentinel_sentinels(MASTER)) == 2
                ),
                # Sentinels learn replicas from the primary's INFO, every 10 s.
                timeout=30,
                what=f"sentinel {port} to see the whole set",
            )
        yield {"url": url, "sentinels": redis_sentinels(sentinels.split(",")), "admin": admin_of}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(10)


def _primary_port(redis_set) -> int:
    return int(redis_set["admin"][SENTINEL_PORTS[0]].sentinel_get_master_addr_by_name(MASTER)[1])


def _celery(redis_set) -> Celery:
    broker, broker_options = celery_redis(f"{redis_set['url']}/1", redis_set["sentinels"], MASTER)
    results, results_options = celery_redis(f"{redis_set['url']}/2", redis_set["sentinels"], MASTER)
    own_keys = {"global_keyprefix": f"{SERVICE}:"}
    app = Celery("sentinel-test", set_as_current=False)
    app.conf.update(
        broker_url=broker,
        result_backend=results,
        broker_transport_options=own_keys | broker_options,
        result_backend_transport_options=own_keys | results_options,
        task_default_queue=SERVICE,
        broker_connection_retry_on_startup=True,
    )
    return app


def _queued(redis_set, port: int, task_id: str) -> bool:
    """Whether the task's message sits in the queue on that server."""
    server = redis.Redis(
        host=HOST, port=port, db=1, username="hearth-admin", password=_admin(redis_set, port)
    )
    return any(task_id.encode() in raw for raw in server.lrange(f"{SERVICE}:{SERVICE}", 0, -1))


def _admin(redis_set, port: int) -> str:
    return redis_set["admin"][port].connection_pool.connection_kwargs["password"]


def _check_all_clients(redis_set, app: Celery) -> None:
    """Cache, Celery broker and results, and the mirror, against the current primary."""
    primary = _primary_port(redis_set)
    key, value = f"probe-{uuid.uuid4().hex}", uuid.uuid4().hex
    # The cache ignores errors (it falls through to the database): only a read of
    # what was written proves it reached a primary.
    _until(lambda: cache.set(key, value, 60) or cache.get(key) == value, what="a cache write")
    assert redis_set["admin"][primary].exists(cache.make_key(key))

    task_id = str(uuid.uuid4())
    app.send_task("hearth.probe", task_id=task_id, queue=SERVICE)
    assert _queued(redis_set, primary, task_id)
    app.backend.store_result(task_id, {"answer": 42}, "SUCCESS")
    assert app.AsyncResult(task_id).get(timeout=5) == {"answer": 42}

    session_id = uuid.uuid4().hex
    _until(lambda: revocation._mirror.in_sync or revocation._mirror._start(), what="the mirror")
    # Written as another process would (not applied to this mirror directly).
    _until(
        lambda: revocation.publish_session_mark(session_id, at=time.time()),
        what="a revocation mark",
    )
    _until(lambda: session_id in revocation._mirror.sessions, what="the mark to reach the mirror")


def test_cache_celery_and_mirror_follow_a_sentinel_failover(redis_set, settings):
    settings.DJANGO_REDIS_CONNECTION_FACTORY = "django_redis.pool.SentinelConnectionFactory"
    settings.CACHES = {
        "default": redis_cache(f"{redis_set['url']}/0", SERVICE, redis_set["sentinels"], MASTER)
    }
    revocation._mirror.stop()
    app = _celery(redis_set)
    try:
        assert _primary_port(redis_set) == PRIMARY
        _check_all_clients(redis_set, app)

        redis_set["admin"][SENTINEL_PORTS[0]].execute_command("SENTINEL", "FAILOVER", MASTER)
        _until(lambda: _primary_port(redis_set) == REPLICA, timeout=30, what="the failover")
        # Done once the old primary follows the new one: until then it still takes
        # writes, which the new primary never sees (asynchronous replication).
        _until(
            lambda: redis_set["admin"][PRIMARY].info("replication")["role"] == "slave",
            timeout=30,
            what="the old primary to follow the new one",
        )

        _check_all_clients(redis_set, app)
    finally:
        revocation._mirror.stop()
        app.close()


def test_a_deployable_may_only_ask_the_sentinels_where_the_primary_is(redis_set):
    parts = redis.connection.parse_url(redis_set["url"])
    sentinel = redis.Redis(
        host=HOST, port=SENTINEL_PORTS[1], username=parts["username"], password=parts["password"]
    )
    assert sentinel.sentinel_get_master_addr_by_name(MASTER)
    with pytest.raises(redis.exceptions.NoPermissionError):
        sentinel.execute_command("SENTINEL", "FAILOVER", MASTER)
    anonymous = redis.Redis(host=HOST, port=_primary_port(redis_set))
    with pytest.raises(redis.exceptions.AuthenticationError):
        anonymous.get("anything")


def test_redis_sentinels_in_the_environment_switch_every_client_to_sentinel():
    """What the chart sets (REDIS_SENTINELS, REDIS_SENTINEL_MASTER) reaches the settings;
    unset, the URLs are used as they are (the local stack)."""
    program = (
        "from django.conf import settings as s; "
        "print(s.CACHES['default']['LOCATION'], s.CACHES['default']['OPTIONS'].get('SENTINELS'),"
        " s.CELERY_BROKER_URL, s.CELERY_BROKER_TRANSPORT_OPTIONS.get('master_name'),"
        " getattr(s, 'DJANGO_REDIS_CONNECTION_FACTORY', None))"
    )
    url = "redis://hearth-payments:pw@ignored:6379"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "CELERY_"))}
    environment = {
        **base,
        "DJANGO_SETTINGS_MODULE": "config.settings.payments",
        "HEARTH_SERVICE": "payments",
        "REDIS_URL": f"{url}/0",
        "CELERY_BROKER_URL": f"{url}/1",
        "CELERY_RESULT_BACKEND": f"{url}/2",
    }

    def settings_with(**extra: str) -> str:
        result = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {program}"],
            capture_output=True,
            text=True,
            env={**environment, **extra},
            cwd=ROOT,
            check=True,
        )
        return result.stdout.strip()

    assert settings_with(REDIS_SENTINELS="s-0:26379,s-1:26379", REDIS_SENTINEL_MASTER="set") == (
        "redis://hearth-payments:pw@set/0 [('s-0', 26379), ('s-1', 26379)] "
        "sentinel://hearth-payments:pw@s-0:26379/1;sentinel://hearth-payments:pw@s-1:26379/1 "
        "set django_redis.pool.SentinelConnectionFactory"
    )
    assert settings_with() == f"{url}/0 None {url}/1 None None"


def test_the_celery_app_uses_the_sentinel_urls_not_the_variables_it_was_given():
    """Celery reads CELERY_BROKER_URL from the environment before its configuration;
    the app must end up with the Sentinel URLs the settings made of it."""
    program = (
        "from config.celery import app; print(app.conf.broker_url); print(app.conf.result_backend)"
    )
    url = "redis://hearth-notifications:pw@headless:6379"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "CELERY_"))}
    result = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        env={
            **base,
            "HEARTH_SERVICE": "notifications",
            "DJANGO_SETTINGS_MODULE": "config.settings.notifications",
            "REDIS_URL": f"{url}/0",
            "CELERY_BROKER_URL": f"{url}/1",
            "CELERY_RESULT_BACKEND": f"{url}/2",
            "REDIS_SENTINELS": "s-0:26379",
            "REDIS_SENTINEL_MASTER": "set",
        },
        cwd=ROOT,
        check=True,
    )
    assert result.stdout.split() == [
        "sentinel://hearth-notifications:pw@s-0:26379/1",
        "sentinel://hearth-notifications:pw@s-0:26379/2",
    ]
