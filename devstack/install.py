"""Install what the local stack runs, and create its state once.

Every step checks first and does nothing when its work is done, so running it
again is fast. Only the servers' software comes from outside: Debian packages,
PyPI (requirements/local.txt) and Maven Central (devstack/pom.xml).
"""

import base64
import fcntl
import hashlib
import os
import pwd
import shutil
import signal
import stat
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

from devstack import credentials, programs, supervise, tools
from devstack.layout import (
    DOWNLOAD_DIR,
    ES_ARTIFACT,
    ES_CONFIG,
    ES_DATA,
    ES_DIR,
    ES_HOME,
    ES_LOGS,
    ES_TMP,
    ES_VERSION,
    HOST,
    KAFKA_ADMIN_STAMP,
    KAFKA_DATA,
    KAFKA_DIR,
    KAFKA_LIBS,
    LOG_DIR,
    MAIL_DIR,
    NGINX_DIR,
    PG_BIN,
    POM,
    POSTGRES_DATA,
    POSTGRES_DIR,
    POSTGRES_HBA,
    POSTGRES_PORT,
    POSTGRES_SOCKET_DIR,
    REDIS_DIR,
    REQUIREMENTS,
    ROOT,
    RUN_DIR,
    SERVICE_USER,
    STAMP_DIR,
    TEMPLATES,
    VAR,
    VENDOR_DIR,
    VENV,
    VENV_PYTHON,
)
from devstack.observability.install import install as install_observability
from devstack.shell import fail, find_program, install_debian_packages, run, say, step

# A program the stack runs -> the Debian package that provides it.
DEBIAN_PACKAGES = {
    str(PG_BIN / "postgres"): "postgresql",
    "redis-server": "redis-server",
    "nginx": "nginx-light",
    "mvn": "maven",
    "chromium": "chromium",  # the browser tests' browser, driven by Playwright
    "certutil": "libnss3-tools",  # the browser trusts the local cluster's certificate
}
BROWSER_TOOLS = ROOT / "devstack" / "browser"


def install() -> None:
    """Everything `up` needs before it can start a program.

    Credentials come first, and each store learns them before it asks for them:
    PostgreSQL's superuser gets its password before pg_hba.conf stops trusting,
    Kafka's administrator its SCRAM credential before the broker restarts with
    SASL, so a stack from before credentials switches over in one `up`.

    One install at a time: `make cluster` and `make up` both install, and two
    unpacking the same archive into one staging folder break each other.
    """
    VAR.mkdir(parents=True, exist_ok=True)
    with open(VAR / "install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _install()


def _install() -> None:
    install_software()
    create_local_secrets()
    prepare_directories()
    programs.render_configs()
    initialize_postgres()
    secure_postgres()
    format_kafka_storage()
    bootstrap_kafka_admin()


def install_software() -> None:
    install_debian_packages(missing_debian_packages())
    create_service_user()
    install_python_packages()
    install_kafka()
    install_elasticsearch()
    install_browser_test_tools()
    tools.install(tools.STACK_TOOLS, "Stack servers built with Go (stripe-mock)")
    install_observability()  # Zipkin, VictoriaMetrics, vmalert, Alertmanager, exporters


# --- software ---------------------------------------------------------------


def missing_debian_packages() -> list[str]:
    def present(program: str) -> bool:
        return Path(program).exists() if program.startswith("/") else bool(find_program(program))

    return [package for program, package in DEBIAN_PACKAGES.items() if not present(program)]


def create_service_user() -> None:
    if SERVICE_USER is None or user_exists(SERVICE_USER):
        return
    step(f"creating system user {SERVICE_USER} (PostgreSQL and Elasticsearch refuse root)")
    run(
        [
            *("useradd", "--system", "--user-group", "--no-create-home"),
            *("--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", SERVICE_USER),
        ]
    )


def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def install_python_packages() -> None:
    fresh = not VENV_PYTHON.exists()
    if fresh:
        step("creating the virtualenv .venv")
        run([sys.executable, "-m", "venv", VENV])
    pip_install = [VENV_PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if fresh or is_stale("requirements", REQUIREMENTS):
        step("installing requirements/local.txt")
        run([*pip_install, "--require-hashes", "-r", REQUIREMENTS], cwd=ROOT)
        mark_done("requirements")
    pyproject = ROOT / "pyproject.toml"
    if fresh or is_stale("editable", pyproject):
        step("installing Hearth itself, editable (apps, config, kernel)")
        run([*pip_install, "--no-deps", "-e", "."], cwd=ROOT)
        mark_done("editable")


def install_browser_test_tools() -> None:
    """axe-core, which the browser tests inject into pages, pinned by the lock file."""
    lock = BROWSER_TOOLS / "package-lock.json"
    if (BROWSER_TOOLS / "node_modules").is_dir() and not is_stale("browser-tools", lock):
        return
    step("installing the browser tests' tools (npm ci in devstack/browser)")
    run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=BROWSER_TOOLS)
    mark_done("browser-tools")


def is_stale(stamp: str, source: Path) -> bool:
    """True when `source` changed since the step named `stamp` last succeeded."""
    stamp_file = STAMP_DIR / f"{stamp}.stamp"
    return not stamp_file.exists() or stamp_file.stat().st_mtime < source.stat().st_mtime


def mark_done(stamp: str) -> None:
    STAMP_DIR.mkdir(parents=True, exist_ok=True)
    (STAMP_DIR / f"{stamp}.stamp").touch()


def install_kafka() -> None:
    # The stamp holds the pom's hash: an interrupted copy or a version bump re-fetches.
    stamp = KAFKA_LIBS.parent / "pom.sha256"
    wanted = hashlib.sha256(POM.read_bytes()).hexdigest()
    if KAFKA_LIBS.is_dir() and stamp.exists() and stamp.read_text() == wanted:
        return
    step("fetching the Kafka broker's jars from Maven Central")
    shutil.rmtree(KAFKA_LIBS, ignore_errors=True)
    run(
        [
            *("mvn", "-B", "-q", "-f", POM, "dependency:copy-dependencies"),
            *("-DincludeScope=runtime", f"-DoutputDirectory={KAFKA_LIBS}"),
        ],
        quiet=True,  # Maven 3.8 prints stray colour codes even with -B -q
    )
    stamp.write_text(wanted)


def install_elasticsearch() -> None:
    if (ES_HOME / "bin" / "elasticsearch").exists():
        return
    if programs.elasticsearch_java_home() is None:
        raise fail("Elasticsearch needs a JDK 21 or newer under /usr/lib/jvm; none was found")
    step(f"fetching Elasticsearch {ES_VERSION} (integ-test zip) from Maven Central")
    archive = DOWNLOAD_DIR / f"elasticsearch-{ES_VERSION}.zip"
    if not archive.exists():
        run(
            [
                *("mvn", "-B", "-q", "-f", POM, "dependency:copy"),
                *(f"-Dartifact={ES_ARTIFACT}", f"-DoutputDirectory={DOWNLOAD_DIR}"),
            ],
            quiet=True,
        )
    say(f"unpacking {archive.name} into {ES_HOME.relative_to(ROOT)}")
    unpack(archive, member=ES_HOME.name, target=ES_HOME)


def unpack(archive: Path, member: str, target: Path) -> None:
    """Unzip `member` (the archive's top folder) to `target`, keeping file modes.

    Unpacks beside the target and renames, so a half-unpacked tree is never taken
    for an installed one.
    """
    staging = target.parent / f".{target.name}.unpacking"
    shutil.rmtree(staging, ignore_errors=True)
    with zipfile.ZipFile(archive) as zipped:
        for info in zipped.infolist():
            path = Path(zipped.extract(info, staging))
            # zipfile drops the Unix mode, and bin/ must stay executable.
            mode = info.external_attr >> 16
            if mode:
                path.chmod(stat.S_IMODE(mode))
    (staging / member).rename(target)
    shutil.rmtree(staging)


# --- state --------------------------------------------------------------------


def create_local_secrets() -> None:
    """var/secrets/: each deployable's credentials and keys, made once (config.secrets)."""
    run([VENV_PYTHON, "-m", "config.secrets"], cwd=ROOT, quiet=True)


def prepare_directories() -> None:
    # var/static: STATIC_ROOT, where WhiteNoise looks (collectstatic fills it in images).
    for directory in (
        *(LOG_DIR, RUN_DIR, MAIL_DIR, REDIS_DIR, KAFKA_DATA, NGINX_DIR, VENDOR_DIR),
        VAR / "static",
    ):
        directory.mkdir(parents=True, exist_ok=True)
    VAR.chmod(0o755)  # the service user must be able to pass through it
    for directory in (POSTGRES_DIR, POSTGRES_SOCKET_DIR, ES_DIR, ES_DATA, ES_LOGS, ES_TMP):
        make_service_user_dir(directory)
    copy_elasticsearch_config()
    check_service_user_can_reach(VAR)


def make_service_user_dir(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    if SERVICE_USER:
        shutil.chown(directory, SERVICE_USER, SERVICE_USER)


def copy_elasticsearch_config() -> None:
    """A writable copy of the distribution's config: Elasticsearch writes its keystore there."""
    if ES_CONFIG.exists():
        return
    shutil.copytree(ES_HOME / "config", ES_CONFIG)
    if SERVICE_USER:
        for path in [ES_CONFIG, *ES_CONFIG.rglob("*")]:
            shutil.chown(path, SERVICE_USER, SERVICE_USER)


def check_service_user_can_reach(path: Path) -> None:
    if SERVICE_USER is None:
        return
    for folder in [path, *path.parents]:
        if not folder.stat().st_mode & stat.S_IXOTH:
            raise fail(
                f"{folder} is closed to other users, so {SERVICE_USER} cannot reach {path}: "
                f"run `chmod o+x {folder}` or clone the repository elsewhere"
            )


def as_service_user() -> dict:
    """subprocess arguments that run a command as the service user (no root groups kept)."""
    if SERVICE_USER is None:
        return {}
    return {"user": SERVICE_USER, "group": SERVICE_USER, "extra_groups": []}


def initialize_postgres() -> None:
    if (POSTGRES_DATA / "PG_VERSION").exists():
        return
    step("creating the PostgreSQL cluster in var/postgres/data")
    # The superuser's password from a file the service user alone reads, for a moment.
    password_file = POSTGRES_DIR / ".superuser-password"
    password_file.touch(mode=0o600)
    password_file.write_text(credentials.postgres_superuser_password() + "\n")
    if SERVICE_USER:
        shutil.chown(password_file, SERVICE_USER, SERVICE_USER)
    initdb = [PG_BIN / "initdb", "-D", POSTGRES_DATA, "-U", "postgres"]
    try:
        run(
            [*initdb, "--auth=scram-sha-256", f"--pwfile={password_file}"],
            cwd=POSTGRES_DIR,
            quiet=True,
            **as_service_user(),
        )
    finally:
        password_file.unlink(missing_ok=True)


def secure_postgres() -> None:
    """pg_hba.conf from the template: SCRAM for every role, locally too. A cluster
    from before (trust) first gives its superuser the generated password: through
    the running server, or in single-user mode when it is stopped."""
    wanted = (TEMPLATES / "pg_hba.conf").read_text()
    current = POSTGRES_HBA.read_text() if POSTGRES_HBA.exists() else ""
    if current == wanted:
        return
    running = programs.postgres_ready()
    if trusts_anyone(current):
        step("PostgreSQL: the superuser gets its password, then trust ends")
        verifier = credentials.scram_sha_256_verifier(credentials.postgres_superuser_password())
        statement = f"ALTER ROLE postgres PASSWORD '{verifier}';\n"
        if running:  # still trusting: psql needs no password yet
            psql = [PG_BIN / "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", HOST]
            command = [*psql, "-p", str(POSTGRES_PORT), "-U", "postgres", "-d", "postgres"]
        else:
            command = [PG_BIN / "postgres", "--single", "-D", POSTGRES_DATA, "postgres"]
        run(command, quiet=True, input=statement.encode(), cwd=POSTGRES_DIR, **as_service_user())
    POSTGRES_HBA.write_text(wanted)
    if SERVICE_USER:
        shutil.chown(POSTGRES_HBA, SERVICE_USER, SERVICE_USER)
    POSTGRES_HBA.chmod(0o600)
    if running:  # SIGHUP: the postmaster re-reads pg_hba.conf
        os.kill(int((POSTGRES_DATA / "postmaster.pid").read_text().split()[0]), signal.SIGHUP)


def trusts_anyone(hba: str) -> bool:
    rules = [line.split() for line in hba.splitlines() if line.strip() and line[0] != "#"]
    return any("trust" in rule for rule in rules)


def format_kafka_storage() -> None:
    if (KAFKA_DATA / "meta.properties").exists():
        return
    step("formatting Kafka's storage (single KRaft node)")
    # Kafka's cluster ids are a random UUID in unpadded URL-safe base64.
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
    command = programs.kafka_command("kafka.tools.StorageTool", "format", "--standalone")
    run([*command, "-t", cluster_id, "-c", KAFKA_DIR / "server.properties"], quiet=True)


def bootstrap_kafka_admin() -> None:
    """Store the administrator's SCRAM credential in the cluster's metadata, once per
    data directory and administrator password: the broker signs in to itself with
    it, and devstack applies every deployable's credential and ACLs as it.

    (`kafka-storage format --add-scram` could do it for a new directory, but only
    with the password on a command line; this one way serves old directories too.)
    Through a broker still running without SASL (a stack from before), or else a
    broker started without SASL for the purpose.
    """
    user, password = credentials.kafka_admin()
    cluster = (KAFKA_DATA / "meta.properties").read_text()
    wanted = hashlib.sha256(f"{cluster}\n{user}\n{password}".encode()).hexdigest()
    if KAFKA_ADMIN_STAMP.exists() and KAFKA_ADMIN_STAMP.read_text() == wanted:
        return
    step(f"Kafka: storing the administrator's SCRAM credential ({user})")
    if not programs.kafka_admin("plaintext-ready"):
        with broker_without_sign_in():
            store_kafka_admin()
    else:
        store_kafka_admin()
    KAFKA_ADMIN_STAMP.write_text(wanted)


def store_kafka_admin() -> None:
    if not programs.kafka_admin("add-admin", timeout=60):
        raise fail("could not store Kafka's administrator credential; see var/log/kafka*.log")


class broker_without_sign_in:
    """The broker on bootstrap.properties (PLAINTEXT, no authorizer), briefly."""

    def __enter__(self) -> None:
        if supervise.daemon_pid():
            supervise.supervisorctl("stop", "infra:kafka")  # its ports; `up` restarts it
        command = programs.kafka_command(
            "kafka.Kafka", KAFKA_DIR / "bootstrap.properties", jvm_options=programs.KAFKA_HEAP
        )
        log = (LOG_DIR / "kafka-bootstrap.log").open("ab")
        self.process = subprocess.Popen(
            [str(part) for part in command], cwd=KAFKA_DIR, stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 120
        while not programs.kafka_admin("plaintext-ready"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise fail("the bootstrap broker did not come up; see var/log/kafka-bootstrap.log")
            time.sleep(1)

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
