"""The Kubernetes Secrets the charts reference, made from the credentials that
`python -m config.secrets` generates (var/secrets/), for a cluster run from this
machine. Production makes the same Secrets from its secret manager instead.

    python -m devstack.k8s_secrets [--namespace hearth] [--data-release hearth-data] > secrets.yaml

Per deployable:
- hearth-<name>-env: its own credentials (Django's key, its PostgreSQL, Redis, Kafka and
  Elasticsearch passwords), with the stores' addresses of the in-cluster data tier;
- hearth-<name>-jwt: its own signing key and every deployable's public key (never
  another's private key), mounted at HEARTH_JWT_KEY_DIR in its own pods only.
And the administrator's: hearth-provisioning (the provisioning Jobs) and
hearth-data-admin (the data tier's superusers: the same values, so the Jobs can sign in).
<data-release>-elasticsearch-tls: the Elasticsearch nodes' transport certificate.
With --tls-host (repeatable), hearth-tls: the Ingress's certificate for those hosts,
because the production settings send browsers to HTTPS (devstack/k8s_tls.py).

The output holds secrets: write it only to a file only you can read, or pipe it to
`kubectl apply -f -`.
"""

import argparse
import base64
import json
import sys
from urllib.parse import urlsplit, urlunsplit

from config import secrets
from config.environment import PROVISIONING, local_env_file, parse_env_file
from config.services import SERVICES
from devstack import k8s_tls

# The data tier's own users that no Hearth process signs in as: kept beside the
# local stack's files, in var/secrets/env/data-admin.env (config.secrets' format).
DATA_ADMIN = "data-admin"
DATA_ADMIN_VALUES: dict[str, secrets.Generator] = {
    "POSTGRES_REPLICATION_PASSWORD": lambda _, values: secrets.password(),
    "REDIS_ADMIN_PASSWORD": lambda _, values: secrets.password(),
    "ELASTICSEARCH_ADMIN_PASSWORD": lambda _, values: secrets.password(),
    # SeaweedFS's write signatures: master -> volume servers, S3 gateway -> filers.
    "SEAWEEDFS_JWT_SIGNING_KEY": lambda _, values: secrets.password(),
    "SEAWEEDFS_FILER_JWT_SIGNING_KEY": lambda _, values: secrets.password(),
}

# Not secret, and set by the chart's ConfigMap (the mount path of hearth-<name>-jwt).
CHART_SETTINGS = {"HEARTH_JWT_KEY_DIR"}


def with_host(url: str, host: str) -> str:
    """The URL with its host and port replaced; user, password and path kept."""
    parts = urlsplit(url)
    login = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urlunsplit(parts._replace(netloc=f"{login}{host}"))


def cluster_endpoints(data_release: str) -> dict[str, str]:
    """Where each store answers in the cluster (helm/hearth-data's Services). Redis
    is reached through Sentinel for the master's address; the URL's host names the
    data pods' headless Service, its user and password are what counts."""
    return {
        "redis": f"{data_release}-redis-headless:6379",
        "elasticsearch": f"{data_release}-elasticsearch:9200",
        "postgres": f"{data_release}-postgres:5432",
    }


def deployable_env(values: dict[str, str], endpoints: dict[str, str]) -> dict[str, str]:
    moved = {
        "REDIS_URL": "redis",
        "CELERY_BROKER_URL": "redis",
        "CELERY_RESULT_BACKEND": "redis",
        "ELASTICSEARCH_URL": "elasticsearch",
    }
    env = {}
    for name, value in values.items():
        if name in CHART_SETTINGS:
            continue
        env[name] = with_host(value, endpoints[moved[name]]) if name in moved and value else value
    return env


def provisioning_env(values: dict[str, str], endpoints: dict[str, str]) -> dict[str, str]:
    env = dict(values)
    env["DATABASE_ADMIN_URL"] = with_host(values["DATABASE_ADMIN_URL"], endpoints["postgres"])
    return env


def data_admin_env(provisioning: dict[str, str]) -> dict[str, str]:
    """The data tier's own superusers, as the provisioning Jobs know them, and the
    users only the data tier has (replication, the Redis and Elasticsearch admins)."""
    secrets.write_missing_values(DATA_ADMIN, DATA_ADMIN_VALUES)
    admin_url = urlsplit(provisioning["DATABASE_ADMIN_URL"])
    return {
        **parse_env_file(local_env_file(DATA_ADMIN)),
        "POSTGRES_SUPERUSER": admin_url.username,
        "POSTGRES_SUPERUSER_PASSWORD": admin_url.password,
        "KAFKA_ADMIN_USERNAME": provisioning["KAFKA_ADMIN_USERNAME"],
        "KAFKA_ADMIN_PASSWORD": provisioning["KAFKA_ADMIN_PASSWORD"],
        "REDIS_PROBE_PASSWORD": provisioning["REDIS_PROBE_PASSWORD"],
        "ELASTICSEARCH_PROBE_PASSWORD": provisioning["ELASTICSEARCH_PROBE_PASSWORD"],
        # The object storage's administrator, who makes the buckets (SeaweedFS's S3).
        "OBJECT_STORAGE_ADMIN_ACCESS_KEY_ID": provisioning["OBJECT_STORAGE_ADMIN_ACCESS_KEY_ID"],
        "OBJECT_STORAGE_ADMIN_SECRET_ACCESS_KEY": provisioning[
            "OBJECT_STORAGE_ADMIN_SECRET_ACCESS_KEY"
        ],
    }


def jwt_files(service: str) -> dict[str, str]:
    """Its own key pair and the public keys of all, as config.secrets lays them out."""
    directory = secrets.LOCAL_KEY_DIR / service
    files = {path.name: path.read_text() for path in sorted(directory.glob("*.pub.pem"))}
    own_key = directory / f"{service}.key.pem"
    files[own_key.name] = own_key.read_text()
    return files


def tls_secret(name: str, namespace: str, files: dict[str, str]) -> dict:
    document = secret(name, namespace, {})
    del document["stringData"]
    document["type"] = "kubernetes.io/tls"
    document["data"] = {
        key: base64.b64encode(text.encode()).decode() for key, text in files.items()
    }
    return document


def secret(name: str, namespace: str, data: dict[str, str], **labels: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"app.kubernetes.io/part-of": "hearth", **labels},
        },
        "stringData": data,
    }


def manifests(namespace: str, data_release: str, tls_hosts: list[str] = ()) -> list[dict]:
    secrets.main()  # creates what is missing, changes nothing that exists
    endpoints = cluster_endpoints(data_release)
    documents = []
    for name in SERVICES:
        values = parse_env_file(local_env_file(name))
        labels = {"hearth.io/deployable": name}
        env = deployable_env(values, endpoints)
        documents.append(secret(f"hearth-{name}-env", namespace, env, **labels))
        documents.append(secret(f"hearth-{name}-jwt", namespace, jwt_files(name), **labels))
    provisioning = parse_env_file(local_env_file(PROVISIONING))
    admin = provisioning_env(provisioning, endpoints)
    documents.append(secret("hearth-provisioning", namespace, admin))
    documents.append(secret("hearth-data-admin", namespace, data_admin_env(admin)))
    # The Elasticsearch nodes' transport: each node verifies its peers against ca.crt.
    headless = f"{data_release}-elasticsearch-headless"
    es_nodes = [
        f"*.{headless}",
        f"*.{headless}.{namespace}.svc",
        f"*.{headless}.{namespace}.svc.cluster.local",
        f"{data_release}-elasticsearch",
    ]
    es_tls = k8s_tls.certificate("elasticsearch", es_nodes)
    documents.append(tls_secret(f"{data_release}-elasticsearch-tls", namespace, es_tls))
    if tls_hosts:
        ingress = k8s_tls.certificate("ingress", list(tls_hosts))
        documents.append(tls_secret("hearth-tls", namespace, ingress))
    return documents


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--namespace", default="hearth")
    parser.add_argument("--data-release", default="hearth-data")
    parser.add_argument("--tls-host", action="append", default=[], dest="tls_hosts")
    arguments = parser.parse_args()
    # JSON documents are YAML documents: kubectl reads the stream as it is.
    for document in manifests(arguments.namespace, arguments.data_release, arguments.tls_hosts):
        sys.stdout.write("---\n" + json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
