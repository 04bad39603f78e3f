"""Create the database, and each deployable's role and schema: `python -m config.provision`.

Idempotent, and the only user of the PostgreSQL superuser: its connection comes
from DATABASE_ADMIN_URL. Each role's password comes from DATABASE_PASSWORD_<SERVICE>
(a Kubernetes Job is given all of them); locally both come from the generated
files in var/secrets/env/ (config.secrets).
"""

import argparse
import os

from django.core.exceptions import ImproperlyConfigured

from config.environment import PROVISIONING, local_values, service_value
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default=os.environ.get("DATABASE_NAME", "hearth"))
    parser.add_argument("--with-test-schemas", action="store_true")
    args = parser.parse_args()
    owners = provision_all(database=args.database, with_test_schemas=args.with_test_schemas)
    print(f"provisioned database {args.database}: {', '.join(o.schema for o in owners)}")  # noqa: T201 - a CLI reports


if __name__ == "__main__":
    main()
