from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from kernel.db.citus import Distributed, Local, check_plan, check_schema, deployable_plan


class Command(BaseCommand):
    help = (
        "Print how this deployable's tables are placed on a Citus cluster; with --apply, "
        "create the distributed and reference tables where the citus extension is present."
    )

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true", help="run the plan's SQL")

    def handle(self, *args, apply: bool, **options):
        plan = deployable_plan()
        labels = [
            model._meta.label
            for model in apps.get_models()
            if model._meta.app_label in (settings.HEARTH_SERVICE, "kernel")
        ]
        if problems := check_plan(plan, labels) + check_schema(plan, connection):
            raise CommandError("the plan breaks Citus's rules:\n  " + "\n  ".join(problems))
        self.stdout.write(f"Citus plan of {settings.HEARTH_SERVICE}:")
        for placement in plan:
            if isinstance(placement, Distributed):
                how = f"distributed by {placement.column}"
                if placement.colocate_with:
                    how += f", colocated with {placement.colocate_with}"
                if placement.primary_key:
                    how += f", primary key ({', '.join(placement.primary_key)})"
            elif isinstance(placement, Local):
                how = f"local to the coordinator: {placement.reason}"
            else:
                how = "reference (copied to every node)"
            self.stdout.write(f"  {placement.model}: {how}")
            self.stdout.write(f"    {placement.sql()}")
        with connection.cursor() as cursor:
            cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'citus'")
            row = cursor.fetchone()
        if row is None:
            self.stdout.write(
                "The citus extension is not installed in this database: "
                "the plan was checked and printed, nothing was applied."
            )
            return
        if not apply:
            self.stdout.write(f"citus {row[0]} is installed: run with --apply to apply.")
            return
        with connection.cursor() as cursor:
            for placement in plan:
                cursor.execute(placement.sql())
        self.stdout.write(f"Applied with citus {row[0]}.")
