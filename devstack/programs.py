"""What the local stack runs: each program's command, where it answers and how to
tell it is healthy, and the config files those programs read (rendered from
devstack/templates/ into var/)."""

import base64
import hashlib
import json
import math
import os
import re
import shlex
import smtplib
import socket
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from devstack import credentials, object_storage, observability
from devstack.layout import (
    DEVSTACK,
    ES_CONFIG,
    ES_DATA,
    ES_DIR,
    ES_HOME,
    ES_LOGS,
    ES_PORT,
    ES_TMP,
    GATEWAY_PORT,
    HOST,
    KAFKA_CONTROLLER_PORT,
    KAFKA_DATA,
    KAFKA_DIR,
    KAFKA_JAAS,
    KAFKA_LIBS,
    KAFKA_PORT,
    LOG_DIR,
    MAIL_DIR,
    NGINX_DIR,
    PG_BIN,
    POSTGRES_DATA,
    POSTGRES_DIR,
    POSTGRES_PORT,
    POSTGRES_SOCKET_DIR,
    REDIS_ACL,
    REDIS_DIR,
    REDIS_PORT,
    ROOT,
    RUN_DIR,
    SEAWEEDFS_DIR,
    SEAWEEDFS_FILER_PORT,
    SEAWEEDFS_MASTER_PORT,
    SEAWEEDFS_S3_CONFIG,
    SEAWEEDFS_S3_PORT,
    SEAWEEDFS_VOLUME_PORT,
    SERVICE_USER,
    SERVICES,
    SMTP_PORT,
    STRIPE_MOCK_PORT,
    SUPERVISOR_CONF,
    SUPERVISOR_PIDFILE,
    SUPERVISOR_SOCKET,
    TEMPLATES,
    VENV_BIN,
    VENV_PYTHON,
)
from devstack.shell import find_program, run
from devstack.tools import tool_path

# The gateway sends every path no API or admin route claims (pages, /static/) here.
HOME_SERVICE = "frontend"
GUNICORN_CONF = ROOT / "config" / "gunicorn_conf.py"
NGINX_CONF = NGINX_DIR / "nginx.conf"
# Small fixed heaps keep the idle stack small.
KAFKA_HEAP = ("-Xms256m", "-Xmx512m")
# Elasticsearch pre-touches its whole heap by default; locally, pages come as used.
# Its built-in roles are not synced into a .security index: only the file realm is
# used, and this distribution lacks the analysis module that sync needs.
ES_JAVA_OPTS = "-Xms512m -Xmx512m -XX:-AlwaysPreTouch -Des.queryable_built_in_roles_enabled=false"


@dataclass(frozen=True)
class Program:
    name: str
    group: str  # the supervisord group: "infra" or "apps"
    command: tuple
    endpoint: str  # where it answers, for people
    probe: Callable[[], bool] | None  # None: running under supervisord is all we can check
    ports: tuple[int, ...] = ()
    user: str | None = None
    directory: Path = ROOT
    environment: Mapping[str, str] = field(default_factory=dict)
    stopsignal: str = "TERM"
    stopwaitsecs: int = 10
    startsecs: int = 1
    watched_files: tuple[Path, ...] = ()  # read at start: `up` restarts it when they change

    @property
    def qualified_name(self) -> str:
        return f"{self.group}:{self.name}"

    @property
    def log(self) -> Path:
        return LOG_DIR / f"{self.name}.log"


@cache  # every deployable process watches the same tree: list it once per command
def source_files() -> tuple[Path, ...]:
    """The code the deployables run: a change restarts them on the next `up`, so the
    running platform (and the journey tests against it) always runs this tree."""
    roots = [ROOT / name for name in ("apps", "config", "platform", "frontend")]
    suffixes = {".py", ".html", ".txt", ".json", ".css", ".js"}
    return tuple(
        sorted(
            path
            for root in roots
            for path in root.rglob("*")
            if path.suffix in suffixes and "__pycache__" not in path.parts
        )
    )


def service_environment(service: str | None = None) -> dict[str, str]:
    """The caller's environment, with HEARTH_SERVICE alone choosing Django's settings.

    A DJANGO_SETTINGS_MODULE left in the caller's shell would override it.
    """
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    if service:
        environment["HEARTH_SERVICE"] = service
    return environment


# --- health probes: each returns within seconds; `healthy` turns errors into False ---


def healthy(probe: Callable[[], bool]) -> bool:
    try:
        return probe()
    except (OSError, ValueError, subprocess.SubprocessError):
        return False


def accepts_connections(port: int, host: str = HOST) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def http_get(url: str, login: tuple[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if login:
        basic = base64.b64encode(":".join(login).encode()).decode()
        request.add_header("Authorization", f"Basic {basic}")
    try:
        with urllib.request.urlopen(request, timeout=3) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def answers_200(url: str) -> Callable[[], bool]:
    return lambda: http_get(url)[0] == 200


def postgres_ready() -> bool:
    # Asks whether the server accepts connections, which needs no password.
    command = [PG_BIN / "pg_isready", "-q", "-h", HOST, "-p", str(POSTGRES_PORT), "-U", "postgres"]
    return subprocess.run(command, check=False).returncode == 0


def resp(*words: str) -> bytes:
    """One Redis command in RESP, which is safe for any byte in a password."""
    return f"*{len(words)}\r\n".encode() + b"".join(
        f"${len(word.encode())}\r\n{word}\r\n".encode() for word in words
    )


def redis_ready() -> bool:
    # Signed in as the probe, the only thing that user may do besides PING.
    password = credentials.provisioning()["REDIS_PROBE_PASSWORD"]
    with socket.create_connection((HOST, REDIS_PORT), timeout=2) as connection:
        connection.sendall(resp("AUTH", credentials.REDIS_PROBE_USER, password) + resp("PING"))
        answer = b""
        while answer.count(b"\r\n") < 2 and (chunk := connection.recv(64)):
            answer += chunk
        return answer == b"+OK\r\n+PONG\r\n"


def kafka_admin(command: str, timeout: float = 10) -> bool:
    """devstack/kafka_admin.py: the venv's confluent-kafka speaks Kafka's protocol, and
    this script stays stdlib-only. The administrator's password goes by environment."""
    user, password = credentials.kafka_admin()
    environment = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": f"{HOST}:{KAFKA_PORT}",
        "KAFKA_ADMIN_USERNAME": user,
        "KAFKA_ADMIN_PASSWORD": password,
    }
    completed = subprocess.run(
        [VENV_PYTHON, DEVSTACK / "kafka_admin.py", command],
        env=environment,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    return completed.returncode == 0


def kafka_ready() -> bool:
    return kafka_admin("ready")


def elasticsearch_ready() -> bool:
    probe = (credentials.ES_PROBE_USER, credentials.provisioning()["ELASTICSEARCH_PROBE_PASSWORD"])
    status, body = http_get(f"http://{HOST}:{ES_PORT}/_cluster/health", login=probe)
    return status == 200 and json.loads(body)["status"] in ("green", "yellow")


def stripe_mock_ready() -> bool:
    # Any test-mode key is accepted; without one stripe-mock answers 401.
    return (
        http_get(f"http://{HOST}:{STRIPE_MOCK_PORT}/v1/balance", login=("sk_test_probe", ""))[0]
        == 200
    )


def smtp_ready() -> bool:
    # An explicit local_hostname avoids a reverse DNS lookup that hangs without a network.
    with smtplib.SMTP(HOST, SMTP_PORT, local_hostname="localhost", timeout=2) as smtp:
        return smtp.noop()[0] == 250


# --- the programs -----------------------------------------------------------------


def all_programs() -> list[Program]:
    return infra_programs() + app_programs()


def infra_programs() -> list[Program]:
    return [
        *(postgres(), redis(), kafka(), elasticsearch(), smtp(), stripe_mock(), seaweedfs()),
        *observability_programs(),
    ]


def observability_programs() -> list[Program]:
    from devstack.observability.programs import programs  # it builds on this module

    return programs()


def app_programs() -> list[Program]:
    services = [gunicorn(name, service.port) for name, service in SERVICES.items()]
    relays = [relay(name) for name, service in SERVICES.items() if service.publishes_events]
    consumers = [consumer(name) for name, service in SERVICES.items() if service.consumes_events]
    workers = [celery(name) for name, service in SERVICES.items() if service.celery_worker]
    beats = [celery_beat(name) for name, service in SERVICES.items() if service.celery_beat]
    return [gateway(), *services, *relays, *consumers, *workers, *beats]


def program_path(name: str) -> str:
    """A program's full path once installed; its bare name before, for display."""
    return str(find_program(name) or name)


def postgres() -> Program:
    settings = {
        "port": POSTGRES_PORT,
        "listen_addresses": HOST,
        "unix_socket_directories": POSTGRES_SOCKET_DIR,
        "shared_buffers": "128MB",
        "max_connections": 200,
        # Every role signs in with a SCRAM verifier (pg_hba.conf: no trust, no md5).
        "password_encryption": "scram-sha-256",
        # Local data is disposable: skipping disk flushes makes migrations and tests fast.
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
    }
    options = [part for key, value in settings.items() for part in ("-c", f"{key}={value}")]
    return Program(
        name="postgres",
        group="infra",
        command=(PG_BIN / "postgres", "-D", POSTGRES_DATA, *options),
        endpoint=f"postgresql://postgres@{HOST}:{POSTGRES_PORT}/hearth",
        probe=postgres_ready,
        ports=(POSTGRES_PORT,),
        user=SERVICE_USER,
        directory=POSTGRES_DIR,
        # supervisord keeps root's HOME, which the service user cannot read.
        environment={"HOME": str(POSTGRES_DIR)},
        stopsignal="INT",  # "fast" shutdown; TERM would wait for every client to leave
        stopwaitsecs=30,
    )


def redis() -> Program:
    return Program(
        name="redis",
        group="infra",
        command=(program_path("redis-server"), REDIS_DIR / "redis.conf"),
        endpoint=f"redis://{HOST}:{REDIS_PORT}",
        probe=redis_ready,
        ports=(REDIS_PORT,),
        directory=REDIS_DIR,
        watched_files=(REDIS_DIR / "redis.conf", REDIS_ACL),
    )


def kafka_command(main_class: str, *arguments, jvm_options: tuple = ()) -> tuple:
    """A JVM running one of Kafka's classes, logging to stdout through log4j2."""
    return (
        program_path("java"),
        *jvm_options,
        f"-Dlog4j2.configurationFile={KAFKA_DIR / 'log4j2.properties'}",
        "-cp",
        f"{KAFKA_LIBS}/*",  # java expands the wildcard itself
        main_class,
        *arguments,
    )


def kafka() -> Program:
    server_properties = KAFKA_DIR / "server.properties"
    return Program(
        name="kafka",
        group="infra",
        command=kafka_command(
            "kafka.Kafka",
            server_properties,
            jvm_options=(
                *KAFKA_HEAP,
                f"-Djava.security.auth.login.config={KAFKA_JAAS}",
                *observability.kafka_jvm_options(),  # the JMX exporter agent
            ),
        ),
        endpoint=f"{HOST}:{KAFKA_PORT} (controller {KAFKA_CONTROLLER_PORT})",
        probe=kafka_ready,
        ports=(KAFKA_PORT, KAFKA_CONTROLLER_PORT),
        directory=KAFKA_DIR,
        watched_files=(server_properties, KAFKA_DIR / "log4j2.properties", KAFKA_JAAS),
        stopwaitsecs=60,  # a controlled shutdown flushes and closes every partition
    )


def elasticsearch_java_home() -> Path | None:
    """The newest JDK in /usr/lib/jvm: Elasticsearch 8.19 needs Java 21+, Debian 12 ships 17."""
    found = []
    for release in Path("/usr/lib/jvm").glob("*/release"):
        version = re.search(r'^JAVA_VERSION="(\d+)', release.read_text(), re.MULTILINE)
        if version and int(version.group(1)) >= 21:
            found.append((int(version.group(1)), release.parent))
    return max(found)[1] if found else None


def elasticsearch() -> Program:
    return Program(
        name="elasticsearch",
        group="infra",
        command=(ES_HOME / "bin" / "elasticsearch",),
        endpoint=f"http://{HOST}:{ES_PORT}",
        probe=elasticsearch_ready,
        ports=(ES_PORT,),
        user=SERVICE_USER,
        directory=ES_DIR,  # the JVM writes gc.log and any heap dump to its working directory
        watched_files=(ES_CONFIG / "elasticsearch.yml",),
        environment={
            "ES_JAVA_HOME": str(elasticsearch_java_home() or ""),
            "ES_JAVA_OPTS": ES_JAVA_OPTS,
            "ES_PATH_CONF": str(ES_CONFIG),
            "ES_TMPDIR": str(ES_TMP),
            "HOME": str(ES_DIR),
        },
        stopwaitsecs=60,
    )


def smtp() -> Program:
    sink = ROOT / "devstack" / "smtp_sink.py"
    return Program(
        name="smtp",
        group="infra",
        command=(
            *(VENV_PYTHON, sink),
            *("--host", HOST, "--port", SMTP_PORT, "--maildir", MAIL_DIR),
        ),
        endpoint=f"smtp://{HOST}:{SMTP_PORT} -> var/mail/",
        probe=smtp_ready,
        ports=(SMTP_PORT,),
        watched_files=(sink,),
    )


def seaweedfs() -> Program:
    ports = (SEAWEEDFS_S3_PORT, SEAWEEDFS_MASTER_PORT, SEAWEEDFS_VOLUME_PORT, SEAWEEDFS_FILER_PORT)
    return Program(
        name="seaweedfs",
        group="infra",
        command=object_storage.local_command(),
        endpoint=f"s3 http://{HOST}:{SEAWEEDFS_S3_PORT} (filer {SEAWEEDFS_FILER_PORT})",
        probe=object_storage.ready,
        ports=ports,
        directory=SEAWEEDFS_DIR,
        watched_files=(SEAWEEDFS_S3_CONFIG,),
        startsecs=3,
    )


def stripe_mock() -> Program:
    # Stateless: answers every Stripe API call with its fixtures (docs/payments.md says
    # what that means for declines and reconciliation). HTTPS on the next port, loopback too.
    return Program(
        name="stripe-mock",
        group="infra",
        command=(
            tool_path("stripe-mock"),
            *("-http-addr", f"{HOST}:{STRIPE_MOCK_PORT}"),
            *("-https-addr", f"{HOST}:{STRIPE_MOCK_PORT + 1}"),
        ),
        endpoint=f"http://{HOST}:{STRIPE_MOCK_PORT} (Stripe API mock)",
        probe=stripe_mock_ready,
        ports=(STRIPE_MOCK_PORT, STRIPE_MOCK_PORT + 1),
    )


def nginx_command(*options: str) -> tuple:
    return (program_path("nginx"), "-p", NGINX_DIR, "-e", "stderr", "-c", NGINX_CONF, *options)


def validate_gateway_config() -> None:
    """`nginx -t`: a config error shows here, not as a gateway restarting in a loop."""
    run(list(nginx_command("-t")), quiet=True)


def gateway() -> Program:
    return Program(
        name="gateway",
        group="apps",
        command=nginx_command(),
        watched_files=(NGINX_CONF,),
        endpoint=f"http://{HOST}:{GATEWAY_PORT}",
        probe=answers_200(f"http://{HOST}:{GATEWAY_PORT}/nginx-health"),
        ports=(GATEWAY_PORT,),
        stopsignal="QUIT",  # graceful: finish the requests in flight
    )


def deployable_process(service: str, name: str, command: tuple, endpoint: str, **kw) -> Program:
    """A process of a deployable: its settings picked by HEARTH_SERVICE, restarted
    by `up` when the code changes."""
    return Program(
        name=name,
        group="apps",
        command=command,
        endpoint=endpoint,
        probe=kw.pop("probe", None),
        # Traces to Zipkin, metrics where VictoriaMetrics scrapes them.
        environment={"HEARTH_SERVICE": service, **observability.process_environment(service, name)},
        watched_files=source_files(),
        **kw,
    )


def gunicorn(name: str, port: int) -> Program:
    # Workers, threads and timeouts are in the Django side's gunicorn config, shared
    # with production; only the port differs between services.
    return deployable_process(
        name,
        name,
        (
            *(VENV_BIN / "gunicorn", "config.wsgi:application"),
            *("-c", GUNICORN_CONF, "--bind", f"{HOST}:{port}"),
        ),
        f"http://{HOST}:{port}",
        probe=answers_200(f"http://{HOST}:{port}/readyz"),
        ports=(port,),
        stopwaitsecs=25,  # gunicorn's graceful timeout (20 s) and a margin
    )


# The processes no request waits on (relays, consumers, Celery) yield the CPU to
# those it does wait on, when the two share this machine's cores: under load, a
# request's latency comes first and the event path catches up after. (In the
# cluster each has its own CPU request instead.)
BACKGROUND = ("nice", "-n", "10")


def relay(name: str) -> Program:
    return deployable_process(
        name,
        f"{name}-relay",
        (*BACKGROUND, VENV_PYTHON, "manage.py", "relay_outbox"),
        f"outbox relay of {name}",
        stopwaitsecs=70,  # a batch in flight may wait out a broker restart (60 s)
        startsecs=5,
    )


def consumer(name: str) -> Program:
    return deployable_process(
        name,
        f"{name}-consumer",
        (*BACKGROUND, VENV_PYTHON, "manage.py", "consume_events"),
        f"event consumers of {name}",
        stopwaitsecs=30,  # finishes the event in hand, then leaves the group
        startsecs=5,
    )


def celery_beat(name: str) -> Program:
    return deployable_process(
        name,
        f"{name}-beat",
        (
            *(*BACKGROUND, VENV_BIN / "celery", "-A", "config.celery", "beat"),
            *("--loglevel", "INFO"),
            *("--schedule", RUN_DIR / f"celerybeat-{name}"),
        ),
        f"periodic tasks of {name}",
        startsecs=5,
    )


def celery(name: str) -> Program:
    return deployable_process(
        name,
        f"{name}-worker",
        (
            *(*BACKGROUND, VENV_BIN / "celery", "-A", "config.celery", "worker"),
            # Threads: sending mail is waiting on the network, not computing, so
            # eight threads keep the queue short at a fraction of eight processes' memory.
            *("--loglevel", "INFO", "--pool", "threads", "--concurrency", 8),
            *("-n", f"{name}@%h"),
        ),
        f"celery worker, queue {name}",
        stopwaitsecs=30,  # a warm shutdown lets running tasks finish
        startsecs=5,  # import errors crash it within seconds: RUNNING means it got past them
    )


# --- config files -------------------------------------------------------------


def render_configs() -> None:
    credentials.render_auth_files()
    render(
        "redis.conf",
        REDIS_DIR / "redis.conf",
        host=HOST,
        port=REDIS_PORT,
        dir=REDIS_DIR,
        aclfile=REDIS_ACL,
    )
    for template, target in (
        ("kafka-server.properties", KAFKA_DIR / "server.properties"),
        # Run once per data directory, before the broker asks anyone who they are.
        ("kafka-bootstrap.properties", KAFKA_DIR / "bootstrap.properties"),
    ):
        render(
            template,
            target,
            host=HOST,
            port=KAFKA_PORT,
            controller_port=KAFKA_CONTROLLER_PORT,
            log_dirs=KAFKA_DATA,
            admin=credentials.kafka_admin()[0],
        )
    render("kafka-log4j2.properties", KAFKA_DIR / "log4j2.properties")
    render(
        "elasticsearch.yml",
        ES_CONFIG / "elasticsearch.yml",
        host=HOST,
        port=ES_PORT,
        data=ES_DATA,
        logs=ES_LOGS,
    )
    object_storage.render_identities()
    observability.render_configs()
    render_nginx()
    render_supervisord()


def render(template: str, target: Path, **values) -> None:
    """Fill a template's {{name}} placeholders; unlike $ or {}, nginx never uses them."""
    text = (TEMPLATES / template).read_text()
    text = re.sub(r"\{\{(\w+)\}\}", lambda match: str(values[match.group(1)]), text)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists() or target.read_text() != text:
        target.write_text(text)


# The gateway's limits, set when `up` renders its config. Locally the rate is high
# enough for the journey tests and the demo seed, which sign in from one address.
GATEWAY_AUTH_RATE = os.environ.get("HEARTH_GATEWAY_AUTH_RATE", "10r/s")
GATEWAY_AUTH_BURST = int(os.environ.get("HEARTH_GATEWAY_AUTH_BURST", "10"))
GATEWAY_MAX_BODY_SIZE = os.environ.get("HEARTH_GATEWAY_MAX_BODY_SIZE", "1m")
# One photo (10 MB at most, apps.listings.photos) and its multipart envelope.
PHOTO_MAX_BODY_SIZE = "11m"
GATEWAY_SERVER_NAMES = os.environ.get("HEARTH_GATEWAY_SERVER_NAMES", f"{HOST} localhost")
# The micro-cache of anonymous reads: how long a copy is fresh, and the APIs it
# holds (the UI pages too). A changed listing shows within this many seconds.
GATEWAY_CACHE_SECONDS = int(os.environ.get("HEARTH_GATEWAY_CACHE_SECONDS", "5"))
CACHED_SERVICES = ("listings", "search")
# Requests in flight per deployable before the gateway answers 503: its two
# gunicorn workers of four threads, and a short queue.
GATEWAY_INFLIGHT = int(os.environ.get("HEARTH_GATEWAY_INFLIGHT", "48"))


def retry_after_seconds(rate: str) -> int:
    """Seconds until an nginx rate ("10r/s", "30r/m") admits the next request."""
    match = re.fullmatch(r"(\d+)r/([sm])", rate)
    if not match or int(match.group(1)) == 0:
        raise SystemExit(f"HEARTH_GATEWAY_AUTH_RATE must look like 10r/s or 30r/m, not {rate!r}")
    per_second = int(match.group(1)) / (1 if match.group(2) == "s" else 60)
    return max(1, math.ceil(1 / per_second))


ADMISSION_SERVER = """server {{
        listen unix:{socket} backlog=4096;
        access_log off;
        client_max_body_size {max_body_size};
        error_page 503 /_gateway/overloaded;
        location / {{
            set $deployable {name};
            limit_conn inflight {inflight};
            # The first hop's headers, as they are (its own would name this socket).
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Request-ID $http_x_request_id;
            proxy_set_header X-Forwarded-For $http_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;
            proxy_pass http://{host}:{port};
        }}
        {overloaded}
    }}"""
# The gateway's answer to overload, in both hops: a full in-flight limit (here) and
# a full admission socket (the first hop).
OVERLOADED_LOCATION = """location = /_gateway/overloaded {
            internal;
            default_type application/json;
            add_header Retry-After 1 always;
            return 503 '{"detail": "The service is busy. Try again in 1 s."}\\n';
        }"""


def admission_socket(name: str) -> Path:
    return RUN_DIR / f"gateway-{name}.sock"


def admission_upstream(name: str) -> str:
    """Where the gateway's routes send a deployable's requests: its admission hop."""
    return f"http://unix:{admission_socket(name)}:"


def render_nginx() -> None:
    routes = []
    for name, service in SERVICES.items():
        upstream = admission_upstream(name)
        # /api/v1/listings and /api/v1/listings/...: no trailing slash in the API.
        prefixes = "|".join(service.api_prefixes)
        cache = "proxy_cache anonymous; " if name in CACHED_SERVICES else ""
        routes.append(f"location ~ ^/api/v1/({prefixes})(/|$) {{ {cache}proxy_pass {upstream}; }}")
        routes.append(f"location /admin/{name}/ {{ proxy_pass {upstream}; }}")
    admission = [
        ADMISSION_SERVER.format(
            socket=admission_socket(name),
            name=name,
            inflight=GATEWAY_INFLIGHT,
            max_body_size=PHOTO_MAX_BODY_SIZE,  # the first hop holds each route's limit
            host=HOST,
            port=service.port,
            overloaded=OVERLOADED_LOCATION,
        )
        for name, service in SERVICES.items()
    ]
    render(
        "nginx.conf",
        NGINX_CONF,
        nginx_dir=NGINX_DIR,
        run_dir=RUN_DIR,
        host=HOST,
        port=GATEWAY_PORT,
        service_routes="\n        ".join(routes),
        home_upstream=admission_upstream(HOME_SERVICE),
        cache_seconds=GATEWAY_CACHE_SECONDS,
        inflight=GATEWAY_INFLIGHT,
        admission_servers="\n\n    ".join(admission),
        overloaded_location=OVERLOADED_LOCATION,
        accounts_upstream=admission_upstream("accounts"),
        server_names=GATEWAY_SERVER_NAMES,
        max_body_size=GATEWAY_MAX_BODY_SIZE,
        auth_rate=GATEWAY_AUTH_RATE,
        auth_burst=GATEWAY_AUTH_BURST,
        retry_after=retry_after_seconds(GATEWAY_AUTH_RATE),
        listings_upstream=admission_upstream("listings"),
        media_upstream=f"http://{HOST}:{SEAWEEDFS_FILER_PORT}",
        media_bucket=object_storage.LOCAL_BUCKETS[0],
        photo_max_body_size=PHOTO_MAX_BODY_SIZE,
    )


def render_supervisord() -> None:
    programs = all_programs()
    groups = [
        f"[group:{group}]\nprograms={','.join(p.name for p in programs if p.group == group)}"
        f"\npriority={priority}"
        for group, priority in (("infra", 100), ("apps", 200))
    ]
    render(
        "supervisord.conf",
        SUPERVISOR_CONF,
        root=ROOT,
        log_dir=LOG_DIR,
        pidfile=SUPERVISOR_PIDFILE,
        socket=SUPERVISOR_SOCKET,
        groups="\n\n".join(groups),
        programs="\n\n".join(supervisor_section(program) for program in programs),
    )


@cache  # the deployables' processes share one watched tree: read it once
def digest(files: tuple[Path, ...]) -> str:
    hashed = hashlib.sha256()
    for file in files:
        hashed.update(file.read_bytes() if file.exists() else b"")
    return hashed.hexdigest()[:16]


def supervisor_section(program: Program) -> str:
    lines = [
        f"[program:{program.name}]",
        f"command={shlex.join(str(part) for part in program.command)}",
        f"directory={program.directory}",
        "autostart=false",  # `stack.py` starts the infra group alone for `make test`
        "autorestart=true",
        f"startsecs={program.startsecs}",
        f"stopsignal={program.stopsignal}",
        f"stopwaitsecs={program.stopwaitsecs}",
        "stopasgroup=true",
        "killasgroup=true",
        "redirect_stderr=true",
        f"stdout_logfile={program.log}",
        "stdout_logfile_maxbytes=20MB",
        "stdout_logfile_backups=2",
    ]
    if program.user:
        lines.append(f"user={program.user}")
    environment = dict(program.environment)
    if program.watched_files:
        # Changes with the watched files, so that `supervisorctl update` sees a
        # changed program and restarts it.
        environment["DEVSTACK_WATCHED_DIGEST"] = digest(program.watched_files)
    if environment:
        pairs = ",".join(f'{key}="{value}"' for key, value in environment.items())
        lines.append(f"environment={pairs}")
    # supervisord expands %(name)s in every value: a literal % must be doubled.
    return "\n".join(lines).replace("%", "%%")
