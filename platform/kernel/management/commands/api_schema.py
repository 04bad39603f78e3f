"""Write this deployable's OpenAPI schema to its committed copy, docs/api/<deployable>.yaml,
and print the breaking changes docs/api/CHANGELOG.md must name (kernel.api.contract).

    HEARTH_SERVICE=listings .venv/bin/python manage.py api_schema [--check]
"""

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test import Client

from kernel.api import contract


def served_schema(service: str) -> dict:
    """The schema as the deployable serves it at /api/v1/<deployable>/schema/."""
    # As a caller on this machine asks; the test client's own "testserver" is no allowed host.
    response = Client(SERVER_NAME="127.0.0.1").get(f"/api/v1/{service}/schema/", {"format": "json"})
    if response.status_code != 200:
        raise CommandError(f"the schema answered {response.status_code}")
    return json.loads(response.content)


class Command(BaseCommand):
    help = "Write the committed copy of this deployable's OpenAPI schema."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Only say whether the copy is up to date."
        )

    def handle(self, *args, check: bool, **options):
        service = settings.HEARTH_SERVICE
        served = served_schema(service)
        committed = contract.load_committed(service)
        if committed == served:
            self.stdout.write(f"{service}: the committed schema is up to date")
            return
        if check:
            raise CommandError(f"{service}: the served schema differs from the committed copy")
        for change in contract.breaking_changes(service, committed or {}, served):
            self.stdout.write(f"BREAKING {change}")
        path = contract.committed_path(service)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(contract.as_yaml(served))
        self.stdout.write(f"{service}: wrote {path.relative_to(settings.BASE_DIR)}")
