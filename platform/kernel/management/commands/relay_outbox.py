from django.conf import settings
from django.core.management.base import BaseCommand

from kernel.events.relay import OutboxRelay
from kernel.management.commands._signals import stop_on_signals
from kernel.observability.metrics import serve_process_metrics
from kernel.observability.tracing import init_tracing


class Command(BaseCommand):
    help = "Publish this deployable's outbox to Kafka (one leader among replicas; others stand by)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options):
        init_tracing(settings.HEARTH_SERVICE, process="relay")
        serve_process_metrics("relay")
        relay = OutboxRelay(batch_size=batch_size, stop=stop_on_signals())
        relay.run()
        self.stdout.write(f"relay stopped after publishing {relay.published} events")
