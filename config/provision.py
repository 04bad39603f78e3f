"""Create the database, and each deployable's role and schema: `python -m config.provision`.
Then each environment's bucket in object storage, where one is named.

Idempotent, and the only user of the PostgreSQL superuser: its connection comes
from DATABASE_ADMIN_URL. Each role's password comes from DATABASE_PASSWORD_<SERVICE>
(a Kubernetes Job is given all of them); locally both come from the generated
files in var/secrets/env/ (config.secrets).
"""

import argparse
import os

from django.core.exceptions import ImproperlyConfigured

from config.environment import PROVISIONING, is_local, local_values, service_value
from config.services import SERVICES
from kernel.db.provisioning import SchemaOwner, provision

# Schemas that exist only in the test database: the kernel's own tests run as a
# deployable of their own so they depend on no bounded context.
# (deployable, schema, role)
TEST_ONLY_OWNERS = (("kernel_tests", "kernel_tests", "hearth_kernel_tests"),)


def admin_conninfo() -> str:
    conninfo = service_value(PROVISIONING, "DATABASE_ADMIN_URL")
    if conninfo is None:
        raise ImproperlyConfigured(
            "Set DATABASE_ADMIN_URL, the PostgreSQL superuser's connection "
            "(locally: python -m config.secrets)"
        )
    return conninfo


def role_password(service: str) -> str | None:
    """The password the service's role logs in with; None leaves the role's as it is."""
    return os.environ.get(f"DATABASE_PASSWORD_{service.upper()}") or local_values(service).get(
        "DATABASE_PASSWORD"
    )


def provision_all(*, database: str, with_test_schemas: bool = False) -> list[SchemaOwner]:
    deployables = [(s.name, s.db_schema, s.db_role) for s in SERVICES.values()]
    if with_test_schemas:
        deployables.extend(TEST_ONLY_OWNERS)
    owners = [
        SchemaOwner(schema=schema, role=role, password=role_password(name))
        for name, schema, role in deployables
    ]
    provision(admin_conninfo=admin_conninfo(), database=database, owners=owners)
    return owners


# Locally the stack's own bucket and the test suites' (devstack/object_storage.py);
# production's bucket belongs to the cloud account and is made with it, not here.
LOCAL_BUCKETS = "hearth-local,hearth-test"


def ensure_buckets() -> list[str]:
    """Create the buckets of OBJECT_STORAGE_BUCKETS that are missing, as object
    storage's administrator (OBJECT_STORAGE_ADMIN_*). Idempotent."""
    default = LOCAL_BUCKETS if is_local() else ""
    names = [n.strip() for n in os.environ.get("OBJECT_STORAGE_BUCKETS", default).split(",")]
    names = [name for name in names if name]
    if not names:
        return []
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url=os.environ.get("OBJECT_STORAGE_ENDPOINT_URL", "http://127.0.0.1:8333"),
        aws_access_key_id=service_value(PROVISIONING, "OBJECT_STORAGE_ADMIN_ACCESS_KEY_ID"),
        aws_secret_access_key=service_value(PROVISIONING, "OBJECT_STORAGE_ADMIN_SECRET_ACCESS_KEY"),
        region_name=os.environ.get("OBJECT_STORAGE_REGION", "us-east-1"),
        config=Config(s3={"addressing_style": "path"}, connect_timeout=3, read_timeout=10),
    )
    existing = {bucket["Name"] for bucket in client.list_buckets().get("Buckets", [])}
    for name in names:
        if name not in existing:
            client.create_bucket(Bucket=name)
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default=os.environ.get("DATABASE_NAME", "hearth"))
    parser.add_argument("--with-test-schemas", action="store_true")
    args = parser.parse_args()
    owners = provision_all(database=args.database, with_test_schemas=args.with_test_schemas)
    print(f"provisioned database {args.database}: {', '.join(o.schema for o in owners)}")  # noqa: T201 - a CLI reports
    if buckets := ensure_buckets():
        print(f"object storage buckets ready: {', '.join(buckets)}")  # noqa: T201 - a CLI reports


if __name__ == "__main__":
    main()
