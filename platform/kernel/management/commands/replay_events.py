from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from kernel.events.registry import consumer_spec
from kernel.events.replay import GroupStillActive, replay


class Command(BaseCommand):
    help = (
        "Rewind a consumer group to the beginning (emptying its read model) or to a time; "
        "its consumers then rebuild from events. Stop the group's consumers first."
    )

    def add_arguments(self, parser):
        parser.add_argument("group_id")
        parser.add_argument(
            "--since", type=datetime.fromisoformat, help="ISO time; default: the beginning"
        )

    def handle(self, *args, group_id: str, since: datetime | None, **options):
        try:
            offsets = replay(consumer_spec(group_id), since=since)
        except GroupStillActive as error:
            raise CommandError(str(error)) from error
        for partition, offset in sorted(
            offsets.items(), key=lambda item: (item[0].topic, item[0].partition)
        ):
            self.stdout.write(f"{partition.topic}[{partition.partition}] -> offset {offset}")
