from django.core.management.base import BaseCommand

from kernel.events.registry import owned_topics
from kernel.events.topics import TopicPolicy, ensure_topics


class Command(BaseCommand):
    help = "Create or update this deployable's topics (its events and dead letters). Idempotent."

    def handle(self, *args, **options):
        for topic, action in ensure_topics(owned_topics(), TopicPolicy.from_settings()).items():
            self.stdout.write(f"{topic}: {action}")
