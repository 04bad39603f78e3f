import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kernel.events.consumer import EventConsumer
from kernel.events.registry import consumer_spec, consumer_specs
from kernel.management.commands._signals import stop_on_signals
from kernel.observability.metrics import serve_process_metrics
from kernel.observability.tracing import init_tracing


class Command(BaseCommand):
    help = "Run this deployable's event consumers (one, or all of them) until SIGTERM."

    def add_arguments(self, parser):
        parser.add_argument(
            "group_id", nargs="?", help="one consumer group, e.g. hearth.notifications; default all"
        )

    def handle(self, *args, group_id: str | None, **options):
        stop = stop_on_signals()
        init_tracing(settings.HEARTH_SERVICE, process="consumer")
        serve_process_metrics("consumer")
        specs = [consumer_spec(group_id)] if group_id else list(consumer_specs().values())
        if not specs:
            raise CommandError("this deployable consumes no events")
        # One thread per group: each has its own Kafka consumer and DB connection.
        threads = [
            threading.Thread(target=self._run, args=(spec, stop), name=spec.group_id)
            for spec in specs
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _run(self, spec, stop: threading.Event) -> None:
        try:
            stats = EventConsumer(spec, stop=stop).run()
            self.stdout.write(f"consumer {spec.group_id} stopped: {stats}")
        finally:
            stop.set()  # one consumer dying stops the process, so it is restarted whole
