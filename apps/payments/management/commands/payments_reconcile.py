"""manage.py payments_reconcile: the ledger against the provider's records
(apps.payments.reconciliation); exits 1 when they do not agree."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from apps.payments.reconciliation import reconcile


class Command(BaseCommand):
    help = "Compare the payments ledger with the provider's records; settle lost answers."

    def add_arguments(self, parser):
        parser.add_argument(
            "--processing-older-than",
            type=float,
            default=60.0,
            help="Seconds a charge must have been processing before it is asked about again.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Report only; change nothing.")

    def handle(self, *args, **options):
        report = reconcile(
            processing_older_than=timedelta(seconds=options["processing_older_than"]),
            dry_run=options["dry_run"],
        )
        for line in report.lines():
            self.stdout.write(line)
        if not report.consistent:
            raise CommandError("the ledger and the provider do not agree (see above)")
