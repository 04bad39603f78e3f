"""manage.py search_reindex: a new index from every listing event, then the alias
swapped to it atomically (apps.search.rebuild); queries keep answering throughout."""

from django.core.management.base import BaseCommand

from apps.search import rebuild


class Command(BaseCommand):
    help = "Build a new listings index from a replay of listings' events and swap the alias to it."

    def handle(self, *args, **options):
        report = rebuild.reindex(say=self.stdout.write)
        self.stdout.write(
            f"{report.index}: {report.documents} listings from {report.events} events "
            f"in {report.seconds:.1f} s ({report.events_per_second:.0f} events/s); "
            f"replaced {', '.join(report.replaced) or 'nothing'}"
        )
