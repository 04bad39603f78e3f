"""Where the local stack keeps its state, and the fixed facts about its servers.

Everything is relative to this file, so a clone anywhere works. All runtime state
lives under var/ (gitignored); deleting var/ resets the stack to a fresh install.
"""

import importlib.util
import os
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEVSTACK = ROOT / "devstack"
TEMPLATES = DEVSTACK / "templates"
POM = DEVSTACK / "pom.xml"
REQUIREMENTS = ROOT / "requirements" / "local.txt"

VENV = ROOT / ".venv"
VENV_BIN = VENV / "bin"
VENV_PYTHON = VENV_BIN / "python"

VAR = ROOT / "var"
LOG_DIR = VAR / "log"
RUN_DIR = VAR / "run"
MAIL_DIR = VAR / "mail"
STAMP_DIR = VAR / "stamps"
VENDOR_DIR = VAR / "vendor"
DOWNLOAD_DIR = VENDOR_DIR / "downloads"
POSTGRES_DIR = VAR / "postgres"
POSTGRES_DATA = POSTGRES_DIR / "data"
POSTGRES_SOCKET_DIR = POSTGRES_DIR / "run"
POSTGRES_HBA = POSTGRES_DATA / "pg_hba.conf"
REDIS_DIR = VAR / "redis"
KAFKA_DIR = VAR / "kafka"
KAFKA_DATA = KAFKA_DIR / "data"
KAFKA_LIBS = VENDOR_DIR / "kafka" / "libs"
# Which administrator credential the data directory holds (a hash, no secret).
KAFKA_ADMIN_STAMP = KAFKA_DIR / "admin-credential.sha256"
ES_DIR = VAR / "elasticsearch"
ES_DATA = ES_DIR / "data"
ES_LOGS = ES_DIR / "logs"
ES_TMP = ES_DIR / "tmp"
NGINX_DIR = VAR / "nginx"
SEAWEEDFS_DIR = VAR / "seaweedfs"
SEAWEEDFS_DATA = SEAWEEDFS_DIR / "data"
# Generated credentials (config.secrets), and the stores' files made from them.
SECRETS_DIR = VAR / "secrets"
REDIS_ACL = SECRETS_DIR / "redis" / "users.acl"
KAFKA_JAAS = SECRETS_DIR / "kafka" / "jaas.conf"
SEAWEEDFS_S3_CONFIG = SECRETS_DIR / "seaweedfs" / "s3.json"

SUPERVISOR_CONF = VAR / "supervisord.conf"
SUPERVISOR_SOCKET = RUN_DIR / "supervisor.sock"
SUPERVISOR_PIDFILE = RUN_DIR / "supervisord.pid"

PG_BIN = Path("/usr/lib/postgresql/15/bin")

HOST = "127.0.0.1"
POSTGRES_PORT = 5433
REDIS_PORT = 6380
KAFKA_PORT = 9092
KAFKA_CONTROLLER_PORT = 9093
ES_PORT = 9200
SMTP_PORT = 1025
GATEWAY_PORT = 8000
STRIPE_MOCK_PORT = 12111  # the payments provider's sandbox, loopback only
# SeaweedFS (object storage): its S3 API, and the master, volume server and filer
# behind it; each of the last three has a gRPC port 10000 above its HTTP one.
SEAWEEDFS_S3_PORT = 8333
SEAWEEDFS_MASTER_PORT = 9333
SEAWEEDFS_VOLUME_PORT = 8081
SEAWEEDFS_FILER_PORT = 8888

# PostgreSQL and Elasticsearch refuse to run as root, so as root they run as this
# system user; anyone else runs everything as themselves.
SERVICE_USER = "hearth" if os.geteuid() == 0 else None


def pom_property(name: str) -> str:
    """A version from devstack/pom.xml, which is where the servers' versions live."""
    namespace = {"m": "http://maven.apache.org/POM/4.0.0"}
    value = ET.parse(POM).getroot().findtext(f"m:properties/m:{name}", namespaces=namespace)
    if not value:
        raise SystemExit(f"{POM} has no <{name}> property")
    return value


ES_VERSION = pom_property("elasticsearch.version")
ES_HOME = VENDOR_DIR / f"elasticsearch-{ES_VERSION}"
# Per version: a new distribution starts from its own jvm.options and log4j2 config.
ES_CONFIG = ES_DIR / f"config-{ES_VERSION}"
ES_ARTIFACT = f"org.elasticsearch.distribution.integ-test-zip:elasticsearch:{ES_VERSION}:zip"


def load_config_module(name: str):
    """A Django-free module of config/ (services.py, environment.py), loaded by path.

    Loading the file alone keeps this script independent of whatever
    config/__init__.py imports (Django, Celery), which the system python lacks.
    """
    path = ROOT / "config" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"hearth_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


SERVICES = load_config_module("services").SERVICES
# Where each deployable's generated credentials are (var/secrets/env/<name>.env).
ENVIRONMENT = load_config_module("environment")
