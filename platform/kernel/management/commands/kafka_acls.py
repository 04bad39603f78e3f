import os

from confluent_kafka.admin import AdminClient
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kernel.events import acls
from kernel.events.kafka import admin_config


class Command(BaseCommand):
    help = (
        "Show (default) or --apply the Kafka ACLs this deployable's principal needs, "
        "derived from what it publishes and consumes. --apply signs in as the "
        "cluster's administrator (KAFKA_ADMIN_USERNAME, KAFKA_ADMIN_PASSWORD in the "
        "environment), sets the principal's SCRAM credential to this deployable's "
        "KAFKA_PASSWORD and makes its ACLs exactly these."
    )

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true")

    def handle(self, *args, apply: bool, **options):
        who = acls.principal()
        if not apply:
            for grant in acls.required_grants():
                self.stdout.write(f"{who}: {grant}")
            return
        try:
            username = os.environ["KAFKA_ADMIN_USERNAME"]
            password = os.environ["KAFKA_ADMIN_PASSWORD"]
        except KeyError as missing:
            raise CommandError(
                f"--apply needs the administrator's {missing} in the environment"
            ) from None
        admin = AdminClient(
            {**admin_config(), "sasl.username": username, "sasl.password": password}
        )
        changes = acls.apply(admin, password=settings.KAFKA_PASSWORD)
        added, removed = len(changes["added"]), len(changes["removed"])
        self.stdout.write(f"{who}: {added} ACLs added, {removed} removed")
