"""Search benchmark: event-to-searchable latency, query p99 by index size, reindex
throughput.

    .venv/bin/python bench/search_latency.py [--listings 200] [--rate 20] \
        [--small 10000] [--large 100000] [--queries 300] [--reindex-events 20000]

Needs the local stack's PostgreSQL, Kafka and Elasticsearch (`make infra`). Runs as
the search deployable on the test database, against a throwaway topic (made as the
Kafka administrator) and a throwaway alias (search-bench-*), so it touches neither
the live index nor listings' topic:

1. Event to searchable: search's real consumer (kernel EventConsumer, inbox,
   version row, Elasticsearch write) runs in a thread while `--listings` listings
   are created and published at `--rate` per second; latency is from the moment
   the published event is handed to Kafka until a search finds the listing.
2. Query p99 at `--small` and at `--large` bulk-loaded synthetic listings: the
   same mix of queries (fuzzy free text with filters and facets, a radius with
   distance sort, a price-sorted filter) against each size; the ratio of p99s.
3. Reindex: `--reindex-events` events in the topic, timed through
   apps.search.rebuild.reindex (read, fold, bulk-load, swap): events per second.
"""

import argparse
import os
import random
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.search"
os.environ.setdefault("DATABASE_NAME", "hearth_test")

import django

django.setup()

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from django.conf import settings
from django.core.management import call_command

from apps.listings.contracts import LISTING_CREATED
from apps.search import index, rebuild, selectors
from apps.search.consumers import listings_index
from apps.search.tests.support import changed, later
from bench._stats import percentile
from config.environment import PROVISIONING, service_value
from kernel.events.consumer import EventConsumer
from kernel.events.kafka import admin_config, producer_config

CITIES = {
    "Lisbon": (38.72, -9.14),
    "Porto": (41.16, -8.63),
    "Madrid": (40.42, -3.70),
    "Berlin": (52.52, 13.40),
    "Paris": (48.86, 2.35),
    "Rome": (41.90, 12.50),
    "Vienna": (48.21, 16.37),
    "Prague": (50.08, 14.44),
}
WORDS = [
    "bright",
    "quiet",
    "sunny",
    "spacious",
    "cosy",
    "modern",
    "garden",
    "balcony",
    "loft",
    "studio",
    "river",
    "park",
]


def administrator() -> None:
    settings.KAFKA_USERNAME = service_value(PROVISIONING, "KAFKA_ADMIN_USERNAME")
    settings.KAFKA_PASSWORD = service_value(PROVISIONING, "KAFKA_ADMIN_PASSWORD")


def event_to_searchable(topic: str, listings: int, rate: float) -> list[float]:
    spec = listings_index(f"hearth.search.bench-{uuid.uuid4().hex[:8]}", topic)
    stop = threading.Event()
    consumer = EventConsumer(spec, stop=stop)
    worker = threading.Thread(target=consumer.run, daemon=True)
    worker.start()
    producer = Producer(producer_config())
    sent: dict[str, float] = {}
    seen: dict[str, float] = {}
    index.ensure_index()
    time.sleep(3)  # the consumer joins its group before the clock starts
    for n in range(listings):
        city = random.choice(list(CITIES))
        draft = changed(LISTING_CREATED, status="draft", title=f"Bench flat {n}", city=city)
        published = changed(
            listing_id=draft.aggregate_id, title=f"Bench flat {n}", city=city, updated_at=later(1)
        )
        for envelope in (draft, published):
            producer.produce(topic, key=envelope.aggregate_id, value=envelope.to_json())
        producer.flush(10)
        sent[published.aggregate_id] = time.monotonic()
        _look(sent, seen)
        time.sleep(1 / rate)
    deadline = time.monotonic() + 30
    while len(seen) < len(sent) and time.monotonic() < deadline:
        _look(sent, seen)
        time.sleep(0.02)
    stop.set()
    worker.join(15)
    missing = len(sent) - len(seen)
    if missing:
        print(f"  {missing} listings never became searchable within 30 s")
    return [seen[i] - sent[i] for i in seen]


def _look(sent: dict[str, float], seen: dict[str, float]) -> None:
    waiting = [i for i in sent if i not in seen]
    if not waiting:
        return
    hits = index.client().search(
        index=index.alias(), query={"ids": {"values": waiting}}, size=len(waiting), _source=False
    )
    now = time.monotonic()
    for hit in hits["hits"]["hits"]:
        seen.setdefault(hit["_id"], now)


def synthetic(n: int) -> tuple[str, int, dict]:
    city = random.choice(list(CITIES))
    lat, lon = CITIES[city]
    point = (lat + random.uniform(-0.2, 0.2), lon + random.uniform(-0.2, 0.2))
    title = " ".join(random.sample(WORDS, 3)) + f" flat {n}"
    envelope = changed(
        title=title,
        city=city,
        rent=f"{random.randint(300, 4000)}.00",
        bedrooms=random.randint(0, 5),
        pets=random.random() < 0.5,
        point=point,
    )
    snapshot = rebuild.ListingChanged.from_payload(envelope.payload).listing
    return envelope.aggregate_id, 1, index.document(snapshot)


def bulk_load(target: str, count: int) -> int:
    """`count` more listings, then the index as a live one settles: refreshed, its
    merges done. Returns how many segments it has then (a query pays per segment)."""
    es = index.writer()
    es.indices.put_settings(index=target, settings={"refresh_interval": "-1"})
    index.bulk_put(target, (synthetic(n) for n in range(count)))
    live = {"refresh_interval": index.index_settings()["refresh_interval"]}
    es.indices.put_settings(index=target, settings=live)
    es.indices.refresh(index=target)
    while True:
        stats = es.indices.stats(index=target, metric="merge,segments")["_all"]["primaries"]
        if not stats["merges"]["current"]:
            return stats["segments"]["count"]
        time.sleep(1)


def query_mix() -> list[selectors.ListingQuery]:
    queries = []
    for _ in range(3):
        city = random.choice(list(CITIES))
        lat, lon = CITIES[city]
        typo = random.choice(WORDS)
        typo = typo[:2] + typo[3:] if len(typo) > 4 else typo  # one letter missing
        queries += [
            selectors.ListingQuery(q=typo, city=city, max_rent=2500, bedrooms=1),
            selectors.ListingQuery(lat=lat, lon=lon, radius_km=10, sort="distance"),
            selectors.ListingQuery(min_rent=800, max_rent=1600, pets_allowed=True, sort="rent"),
        ]
    return queries


KINDS = ("text", "radius", "rent")  # query_mix's order


def query_p99(queries: int) -> tuple[float, float, dict[str, float]]:
    """p50 and p99 of the mix, and the p99 of each kind in it."""
    mix = query_mix()
    # Warm the node alike at both sizes: a just-started Elasticsearch still compiles
    # its hot paths, which once made the small size look slower than the large one.
    for n in range(queries):
        selectors.listings_search(mix[n % len(mix)])
    timings: list[float] = []
    by_kind: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for n in range(queries):
        started = time.perf_counter()
        selectors.listings_search(mix[n % len(mix)])
        timings.append(time.perf_counter() - started)
        by_kind[KINDS[n % len(KINDS)]].append(timings[-1])
    kinds = {kind: percentile(times, 99) for kind, times in by_kind.items()}
    return percentile(timings, 50), percentile(timings, 99), kinds


def reindex_throughput(topic: str, events: int) -> rebuild.Report:
    producer = Producer(producer_config())
    for n in range(events // 2):
        draft = changed(LISTING_CREATED, status="draft", title=f"Reindexed flat {n}")
        published = changed(listing_id=draft.aggregate_id, updated_at=later(1))
        for envelope in (draft, published):
            producer.produce(topic, key=envelope.aggregate_id, value=envelope.to_json())
        if n % 1000 == 0:
            producer.flush(30)
    producer.flush(30)
    return rebuild.reindex(topic=topic)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--reindex-events", type=int, default=20_000)
    args = parser.parse_args()

    call_command("migrate", "--noinput", verbosity=0)
    administrator()
    stamp = uuid.uuid4().hex[:8]
    settings.SEARCH_INDEX_ALIAS = f"search-bench-{stamp}"
    topic = f"hearth.search.bench-{stamp}"
    admin = AdminClient(admin_config())
    admin.create_topics([NewTopic(topic, 3, 1)])[topic].result(30)
    try:
        latencies = event_to_searchable(topic, args.listings, args.rate)
        print(
            f"event -> searchable ({len(latencies)} listings at {args.rate:g}/s): "
            f"p50 {statistics.median(latencies) * 1000:.0f} ms, "
            f"p99 {percentile(latencies, 99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
        )

        target = index.aliased_indices()[0]
        measured = []
        for size, more in ((args.small, args.small), (args.large, args.large - args.small)):
            segments = bulk_load(target, more)
            selectors.index_size.forget()  # the sample's share follows the new size
            measured.append(query_p99(args.queries))
            p50, p99, kinds = measured[-1]
            per_kind = ", ".join(f"{kind} {p * 1000:.1f}" for kind, p in kinds.items())
            print(
                f"query at {size:,} ({segments} segments): p50 {p50 * 1000:.1f} ms, "
                f"p99 {p99 * 1000:.1f} ms (p99 by kind: {per_kind} ms)"
            )
        small, large = measured
        print(f"p99 ratio {args.large:,} / {args.small:,}: {large[1] / small[1]:.2f}x")

        report = reindex_throughput(topic, args.reindex_events)
        print(
            f"reindex: {report.events} events -> {report.documents} listings in "
            f"{report.seconds:.1f} s = {report.events_per_second:.0f} events/s"
        )
    finally:
        index.delete_indices(index.writer().indices.get(index=f"{index.alias()}-*").body)
        admin.delete_topics([topic, f"{topic}.dlq"])


if __name__ == "__main__":
    main()
