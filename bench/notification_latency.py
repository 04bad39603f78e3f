"""Email notification latency: from the event to the SMTP server accepting the mail.

    .venv/bin/python bench/notification_latency.py [--applications 1000] [--renters 10]
        [--threads 8] [--idle 20]

Needs the running platform (`make up`). Drives it through the gateway as users
would: a fresh landlord publishes listings, renters apply, and each application
makes notifications email the landlord. Latency per email is the SMTP sink's
acceptance time (in the .eml file's name) minus the event's occurred_at (the
X-Hearth-Event-Occurred-At header): outbox, relay, Kafka, consumer, Celery queue,
worker, SMTP. Both clocks are this machine's.

Two phases in one run: `--idle` applications one at a time with pauses (the
floor), then `--applications` submitted by `--threads` concurrent renters (the
load). Prints p50/p90/p99/max of each and the loaded/idle ratio.
"""

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._stats import ratios, spread
from devstack.api_client import Api, Mailbox

SINK_NAME_TIME = "%Y%m%dT%H%M%S%fZ"


def accepted_at(mail) -> datetime:
    return datetime.strptime(mail.path.name.split("-")[0], SINK_NAME_TIME).replace(tzinfo=UTC)


def latencies_ms(mails) -> list[float]:
    return [
        (
            accepted_at(m) - datetime.fromisoformat(m.header("X-Hearth-Event-Occurred-At"))
        ).total_seconds()
        * 1000
        for m in mails
    ]


def wait_for_mails(mailbox: Mailbox, landlord_email: str, since: datetime, count: int) -> list:
    deadline = time.monotonic() + 120 + count * 0.1
    while True:
        found = [
            m
            for m in mailbox.find(lambda m: m.to == landlord_email)
            if m.header("X-Hearth-Event-Occurred-At")
            and datetime.fromisoformat(m.header("X-Hearth-Event-Occurred-At")) >= since
        ]
        if len(found) >= count:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(found)} of {count} emails arrived")
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=1000)
    parser.add_argument("--renters", type=int, default=10)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--idle", type=int, default=20)
    args = parser.parse_args()
    listings_needed = -(-(args.applications + args.idle) // args.renters)

    api, mailbox = Api(), Mailbox()
    landlord = api.new_user(role="landlord", name="Bench Landlord")
    renters = [api.new_user(role="renter", name=f"Bench Renter {i}") for i in range(args.renters)]
    print(f"publishing {listings_needed} listings for {len(renters)} renters ...", flush=True)
    listings = [
        landlord.publish(landlord.create_listing(title=f"Bench flat {i}")["id"])["id"]
        for i in range(listings_needed)
    ]
    pairs = [(renter, listing) for listing in listings for renter in renters]
    idle_pairs, load_pairs = pairs[: args.idle], pairs[args.idle : args.idle + args.applications]

    since = datetime.now(UTC)
    for renter, listing in idle_pairs:
        renter.apply(listing)
        time.sleep(0.25)
    idle = latencies_ms(wait_for_mails(mailbox, landlord.user["email"], since, len(idle_pairs)))

    since = datetime.now(UTC)
    started = time.monotonic()
    with ThreadPoolExecutor(args.threads) as pool:
        list(pool.map(lambda pair: pair[0].apply(pair[1]), load_pairs))
    submitted_in = time.monotonic() - started
    mails = wait_for_mails(mailbox, landlord.user["email"], since, len(load_pairs))
    loaded = latencies_ms(mails)
    drained_in = max(accepted_at(m) for m in mails) - since

    print(
        f"\n{len(load_pairs)} applications submitted in {submitted_in:.1f} s "
        f"({len(load_pairs) / submitted_in:.0f}/s); last email accepted "
        f"{drained_in.total_seconds():.1f} s after the first submission"
    )
    print(f"    idle: {spread(idle)}")
    print(f"  loaded: {spread(loaded)}")
    print(f"   ratio: {ratios(loaded, idle)} (loaded / idle)")


if __name__ == "__main__":
    main()
