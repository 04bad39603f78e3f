"""`manage.py sweep_photos`: finish or remove what crashes and outages left behind
(photo_services.photos_sweep). Run it every few minutes (a CronJob in a cluster)."""

from django.core.management.base import BaseCommand

from apps.listings.photo_services import photos_sweep


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        report = photos_sweep()
        self.stdout.write(
            f"photos: {report.requeued} queued again, {report.expired} expired, "
            f"{report.deleted_objects} orphaned objects deleted"
        )
