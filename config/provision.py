"""Create the database, and each deployable's role and schema: `python -m config.provision`.

Idempotent. The administrator's connection comes from DATABASE_ADMIN_URL; role
passwords, where the environment uses them, from DATABASE_PASSWORD_<SERVICE>.
"""

import argparse
import os

from config.services import SERVICES
from kernel.db.provisioning import SchemaOwner, provision

# Schemas that exist only in the test database: the kernel's own tests run as a
# deployable of their own so they depend on no bounded context.
TEST_ONLY_OWNERS = (SchemaOwner(schema="kernel_tests", role="hearth_kernel_tests"),)


def admin_conninfo() -> str:
    return os.environ.get("DATABASE_ADMIN_URL", "postgresql://postgres@127.0.0.1:5433/postgres")


def provision_all(*, database: str, with_test_schemas: bool = False) -> list[SchemaOwner]:
    owners = [
        SchemaOwner(
            schema=service.db_schema,
            role=service.db_role,
            password=os.environ.get(f"DATABASE_PASSWORD_{service.name.upper()}"),
        )
        for service in SERVICES.values()
    ]
    if with_test_schemas:
        owners.extend(TEST_ONLY_OWNERS)
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
