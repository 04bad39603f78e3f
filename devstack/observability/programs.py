"""The observability servers of the local stack, as supervisord programs (registered
with the infra programs in devstack/programs.py)."""

from pathlib import Path

from devstack import observability as obs
from devstack.layout import HOST
from devstack.programs import Program, answers_200, program_path
from devstack.tools import tool_path


def programs() -> list[Program]:
    return [
        zipkin(),
        victoria_metrics(),
        vmalert(),
        alertmanager(),
        postgres_exporter(),
        redis_exporter(),
    ]


def zipkin() -> Program:
    # In-memory storage, the newest 25,000 spans (minutes of a busy test run): its
    # default of 500,000 does not fit the 256 MB heap. Armeria's port list, not
    # server.port, binds it to loopback only.
    return Program(
        name="zipkin",
        group="infra",
        command=(
            *(program_path("java"), "-Xms128m", "-Xmx256m", "-jar", obs.ZIPKIN_JAR),
            f"--armeria.ports[0].port={obs.ZIPKIN_PORT}",
            f"--armeria.ports[0].ip={HOST}",
            "--armeria.ports[0].protocols[0]=http",
            "--zipkin.storage.mem.max-spans=25000",
        ),
        endpoint=f"http://{HOST}:{obs.ZIPKIN_PORT}/zipkin/ (traces)",
        probe=answers_200(f"http://{HOST}:{obs.ZIPKIN_PORT}/health"),
        ports=(obs.ZIPKIN_PORT,),
        directory=obs.STATE_DIR,
        startsecs=5,
    )


def victoria_metrics() -> Program:
    return Program(
        name="victoria-metrics",
        group="infra",
        command=(
            tool_path("victoria-metrics"),
            f"-httpListenAddr={HOST}:{obs.VM_PORT}",
            f"-storageDataPath={obs.VM_DATA}",
            "-retentionPeriod=7d",
            f"-promscrape.config={obs.SCRAPE_CONFIG}",
            f"-vmui.customDashboardsPath={obs.DASHBOARDS_DIR}",
            # Queries from the UI and the rules ask for recent data: keep memory small.
            "-memory.allowedPercent=10",
            "-loggerFormat=json",
        ),
        endpoint=f"http://{HOST}:{obs.VM_PORT}/vmui/ (metrics, dashboards)",
        probe=answers_200(f"http://{HOST}:{obs.VM_PORT}/health"),
        ports=(obs.VM_PORT,),
        watched_files=(obs.SCRAPE_CONFIG,),
    )


def vmalert() -> Program:
    return Program(
        name="vmalert",
        group="infra",
        command=(
            tool_path("vmalert"),
            f"-rule={obs.RULES_DIR}/*.yml",
            f"-datasource.url=http://{HOST}:{obs.VM_PORT}",
            f"-remoteWrite.url=http://{HOST}:{obs.VM_PORT}",  # recording rules' results
            f"-remoteRead.url=http://{HOST}:{obs.VM_PORT}",  # alerts' state across restarts
            f"-notifier.url=http://{HOST}:{obs.ALERTMANAGER_PORT}",
            f"-httpListenAddr={HOST}:{obs.VMALERT_PORT}",
            "-evaluationInterval=15s",
            "-loggerFormat=json",
        ),
        endpoint=f"http://{HOST}:{obs.VMALERT_PORT}/vmalert/ (rules, alerts)",
        probe=answers_200(f"http://{HOST}:{obs.VMALERT_PORT}/health"),
        ports=(obs.VMALERT_PORT,),
        watched_files=tuple(sorted(obs.RULES_DIR.glob("*.yml"))),
    )


def alertmanager() -> Program:
    return Program(
        name="alertmanager",
        group="infra",
        command=(
            program_path("prometheus-alertmanager"),
            f"--config.file={obs.ALERTMANAGER_CONFIG}",
            f"--storage.path={obs.ALERTMANAGER_DATA}",
            f"--web.listen-address={HOST}:{obs.ALERTMANAGER_PORT}",
            "--cluster.listen-address=",  # one instance: no gossip port
            "--log.format=json",
        ),
        endpoint=f"http://{HOST}:{obs.ALERTMANAGER_PORT} (alerts -> SMTP sink)",
        probe=answers_200(f"http://{HOST}:{obs.ALERTMANAGER_PORT}/-/ready"),
        ports=(obs.ALERTMANAGER_PORT,),
        watched_files=(obs.ALERTMANAGER_CONFIG,),
    )


def postgres_exporter() -> Program:
    return _exporter(
        "postgres",
        obs.POSTGRES_EXPORTER_PORT,
        log_format_flag="--log.format=json",
        environment=obs.postgres_exporter_environment(),
        password_file=obs.POSTGRES_EXPORTER_PASSWORD,
    )


def redis_exporter() -> Program:
    return _exporter(
        "redis",
        obs.REDIS_EXPORTER_PORT,
        log_format_flag="--log-format=json",
        environment=obs.redis_exporter_environment(),
        password_file=obs.REDIS_EXPORTER_PASSWORDS,
    )


def _exporter(
    store: str, port: int, *, log_format_flag: str, environment: dict, password_file: Path
) -> Program:
    """A store's Prometheus exporter from Debian, on loopback, signed in with the
    password file it reads once at start (so `up` restarts it when that changes)."""
    metrics = f"http://{HOST}:{port}/metrics"
    return Program(
        name=f"{store}-exporter",
        group="infra",
        command=(
            program_path(f"prometheus-{store}-exporter"),
            f"--web.listen-address={HOST}:{port}",
            log_format_flag,
        ),
        endpoint=metrics,
        probe=answers_200(metrics),
        ports=(port,),
        environment=environment,
        watched_files=(password_file,),
    )
