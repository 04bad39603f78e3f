"""The local stack's observability (docs/observability.md): Zipkin for traces,
VictoriaMetrics scraping every process, vmalert evaluating the rules of
devstack/observability/rules/, Alertmanager mailing through the SMTP sink, the
PostgreSQL and Redis exporters and Kafka's JMX exporter agent.

Standard library only, like the rest of devstack's launcher. The rules and the
dashboards are files in the repo; what is rendered from them (the scrape
configuration, Alertmanager's) goes to var/observability/.
"""

import json

from devstack import credentials
from devstack.layout import (
    DEVSTACK,
    HOST,
    POSTGRES_PORT,
    REDIS_PORT,
    RUN_DIR,
    SECRETS_DIR,
    SERVICES,
    SMTP_PORT,
    VAR,
    VENDOR_DIR,
)

HERE = DEVSTACK / "observability"
RULES_DIR = HERE / "rules"
DASHBOARDS_DIR = HERE / "dashboards"
KAFKA_JMX_CONFIG = HERE / "kafka-jmx.yml"

STATE_DIR = VAR / "observability"
SCRAPE_CONFIG = STATE_DIR / "scrape.yml"
ALERTMANAGER_CONFIG = STATE_DIR / "alertmanager.yml"
VM_DATA = STATE_DIR / "victoria-metrics"
ALERTMANAGER_DATA = STATE_DIR / "alertmanager"
WEB_METRICS_DIR = RUN_DIR / "metrics"  # gunicorn's PROMETHEUS_MULTIPROC_DIR, per deployable
POSTGRES_EXPORTER_PASSWORD = SECRETS_DIR / "observability" / "postgres-exporter.pass"
# The Redis exporter's password, in its format: a JSON map from Redis URL to password.
REDIS_EXPORTER_PASSWORDS = SECRETS_DIR / "observability" / "redis-exporter.json"

JARS_DIR = VENDOR_DIR / "observability"
ZIPKIN_ARTIFACT = "io.zipkin:zipkin-server:3.6.1:jar:exec"
ZIPKIN_JAR = JARS_DIR / "zipkin-server-3.6.1-exec.jar"
JMX_AGENT_ARTIFACT = "io.prometheus.jmx:jmx_prometheus_javaagent:1.0.1:jar"
JMX_AGENT_JAR = JARS_DIR / "jmx_prometheus_javaagent-1.0.1.jar"

ZIPKIN_PORT = 9411
VM_PORT = 8428
VMALERT_PORT = 8880
ALERTMANAGER_PORT = 9095
POSTGRES_EXPORTER_PORT = 9187
REDIS_EXPORTER_PORT = 9121
KAFKA_JMX_PORT = 7071
ZIPKIN_SPANS_URL = f"http://{HOST}:{ZIPKIN_PORT}/api/v2/spans"
REDIS_URL = f"redis://{HOST}:{REDIS_PORT}"  # what the Redis exporter scrapes, as it names it

# The processes of a deployable besides gunicorn each serve their metrics on a
# port of their own, from this range: 4 per deployable, in the order of its port.
METRICS_PORT_BASE = 18400  # clear of the image tests (18100-18199) and the Sentinel test (183xx)
PROCESS_SLOTS = {"relay": 0, "consumer": 1, "worker": 2, "beat": 3}
WEB_PROCESS = "web"

# Go-built servers (devstack/tools.py builds and caches them): binary -> (package,
# module, version).
GO_SERVERS: dict[str, tuple[str, str, str]] = {
    "victoria-metrics": (
        "github.com/VictoriaMetrics/VictoriaMetrics/app/victoria-metrics",
        "github.com/VictoriaMetrics/VictoriaMetrics",
        "v1.151.0",
    ),
    "vmalert": (
        "github.com/VictoriaMetrics/VictoriaMetrics/app/vmalert",
        "github.com/VictoriaMetrics/VictoriaMetrics",
        "v1.151.0",
    ),
}
# Debian: program -> package. promtool (from prometheus) tests the rules.
DEBIAN_PACKAGES = {
    "promtool": "prometheus",
    "prometheus-alertmanager": "prometheus-alertmanager",
    "prometheus-postgres-exporter": "prometheus-postgres-exporter",
    "prometheus-redis-exporter": "prometheus-redis-exporter",
}


def process_kind(program_name: str) -> str:
    """web, relay, consumer, worker or beat, from a deployable program's name."""
    suffix = program_name.rpartition("-")[2]
    return suffix if suffix in PROCESS_SLOTS else WEB_PROCESS


def metrics_port(service: str, process: str) -> int | None:
    """Where a deployable's non-web process serves /metrics (its web process: its own port)."""
    if process == WEB_PROCESS:
        return None
    order = sorted(SERVICES, key=lambda name: SERVICES[name].port).index(service)
    return METRICS_PORT_BASE + 4 * order + PROCESS_SLOTS[process]


def process_environment(service: str, program_name: str) -> dict[str, str]:
    """What a deployable's process is given to trace and to serve its metrics."""
    process = process_kind(program_name)
    environment = {
        "OTEL_EXPORTER_ZIPKIN_ENDPOINT": ZIPKIN_SPANS_URL,
        # Spans leave every second, not every five: a trace is whole soon after.
        "OTEL_BSP_SCHEDULE_DELAY": "1000",
    }
    if process == WEB_PROCESS:
        environment["PROMETHEUS_MULTIPROC_DIR"] = str(WEB_METRICS_DIR / service)
    else:
        environment["HEARTH_METRICS_PORT"] = str(metrics_port(service, process))
        environment["HEARTH_METRICS_HOST"] = HOST
    return environment


def deployable_targets() -> list[dict]:
    """Every process of every deployable the local stack runs, as scrape targets."""
    targets = []
    for name, service in SERVICES.items():
        processes = [WEB_PROCESS]
        processes += ["relay"] if service.publishes_events else []
        processes += ["consumer"] if service.consumes_events else []
        processes += ["worker"] if service.celery_worker else []
        for process in processes:
            port = service.port if process == WEB_PROCESS else metrics_port(name, process)
            labels = {"service": name, "process": process}
            targets.append({"targets": [f"{HOST}:{port}"], "labels": labels})
    return targets


def scrape_config() -> dict:
    def job(name: str, port: int, path: str = "/metrics") -> dict:
        return {
            "job_name": name,
            "metrics_path": path,
            "static_configs": [{"targets": [f"{HOST}:{port}"]}],
        }

    return {
        "global": {"scrape_interval": "10s", "scrape_timeout": "5s"},
        "scrape_configs": [
            {"job_name": "hearth", "static_configs": deployable_targets()},
            job("postgres", POSTGRES_EXPORTER_PORT),
            job("redis", REDIS_EXPORTER_PORT),
            job("kafka", KAFKA_JMX_PORT),
            job("zipkin", ZIPKIN_PORT, "/prometheus"),
            job("victoria-metrics", VM_PORT),
            job("vmalert", VMALERT_PORT),
            job("alertmanager", ALERTMANAGER_PORT),
        ],
    }


def alertmanager_config() -> dict:
    return {
        "global": {
            "smtp_smarthost": f"{HOST}:{SMTP_PORT}",
            "smtp_from": "alertmanager@hearth.local",
            "smtp_require_tls": False,
        },
        "route": {
            "receiver": "operators",
            "group_by": ["alertname", "service"],
            "group_wait": "10s",
            "group_interval": "1m",
            "repeat_interval": "4h",
        },
        "receivers": [
            {
                "name": "operators",
                "email_configs": [{"to": "operators@hearth.local", "send_resolved": True}],
            }
        ],
    }


def render_configs() -> None:
    """JSON is YAML: the standard library writes both configuration files."""
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    for path, config in (
        (SCRAPE_CONFIG, scrape_config()),
        (ALERTMANAGER_CONFIG, alertmanager_config()),
    ):
        text = json.dumps(config, indent=2) + "\n"
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    for directory in (VM_DATA, ALERTMANAGER_DATA, WEB_METRICS_DIR):
        directory.mkdir(parents=True, exist_ok=True)
    # The exporter signs in as the superuser, locally only; its password from a file.
    credentials.write_secret(POSTGRES_EXPORTER_PASSWORD, credentials.postgres_superuser_password())
    # The Redis exporter signs in as its own ACL user (devstack/credentials.py).
    passwords = {REDIS_URL: credentials.redis_exporter_password()}
    credentials.write_secret(REDIS_EXPORTER_PASSWORDS, json.dumps(passwords) + "\n")


def postgres_exporter_environment() -> dict[str, str]:
    return {
        "DATA_SOURCE_URI": f"{HOST}:{POSTGRES_PORT}/hearth?sslmode=disable",
        "DATA_SOURCE_USER": "postgres",
        "DATA_SOURCE_PASS_FILE": str(POSTGRES_EXPORTER_PASSWORD),
    }


def redis_exporter_environment() -> dict[str, str]:
    """Where and who: the password stays in its file, out of supervisord.conf."""
    return {
        "REDIS_ADDR": REDIS_URL,
        "REDIS_USER": credentials.REDIS_EXPORTER_USER,
        "REDIS_PASSWORD_FILE": str(REDIS_EXPORTER_PASSWORDS),
    }


def kafka_jvm_options() -> tuple[str, ...]:
    """The JMX exporter agent inside the broker's JVM, serving on KAFKA_JMX_PORT."""
    if not JMX_AGENT_JAR.exists():
        return ()
    return (f"-javaagent:{JMX_AGENT_JAR}={HOST}:{KAFKA_JMX_PORT}:{KAFKA_JMX_CONFIG}",)
