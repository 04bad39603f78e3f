from django.core.management.base import BaseCommand

from kernel.events.consumer import EventConsumer
from kernel.events.registry import consumer_spec
from kernel.management.commands._signals import stop_on_signals


class Command(BaseCommand):
    help = "Run one of this deployable's event consumers until SIGTERM."

    def add_arguments(self, parser):
        parser.add_argument("group_id", help="the consumer group, e.g. hearth.notifications")

    def handle(self, *args, group_id: str, **options):
        consumer = EventConsumer(consumer_spec(group_id), stop=stop_on_signals())
        stats = consumer.run()
        self.stdout.write(f"consumer {group_id} stopped: {stats}")
