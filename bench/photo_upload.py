"""Photo upload-to-visible latency: from the start of a multipart upload through the
gateway until the listing's public detail shows the photo with its variants and
the gateway serves its card variant from object storage.

    .venv/bin/python bench/photo_upload.py [--photos 60] [--concurrency 1 4]

Needs the running platform (`make up`). A fresh landlord publishes listings and
uploads photos drawn with Pillow (devstack/demo_photos.py, 1280x960 JPEG, about
60 KB), one listing per photo so the 20-photo limit never applies. The path
measured: gateway, listings' checks and its put of the original, commit, Celery
queue, the worker's variants and puts, photo_added, the detail's cache retired,
and one GET of the card through /media/. The response of the upload (202) is
timed too. For each concurrency level (uploads in flight at once) it prints
p50/p90/p99/max, then the ratio of each level's p50 to the first level's.
"""

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devstack.api_client import Api
from devstack.demo_photos import demo_photo

POLL_SECONDS = 0.02
TIMEOUT_SECONDS = 60


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(name: str, values: list[float]) -> None:
    print(
        f"{name:>22}: n={len(values):4d}  p50={percentile(values, 50):7.1f} ms  "
        f"p90={percentile(values, 90):7.1f} ms  p99={percentile(values, 99):7.1f} ms  "
        f"max={max(values):7.1f} ms  mean={statistics.fmean(values):7.1f} ms"
    )


def upload_to_visible(landlord: Api, anonymous: Api, listing_id: str, photo: bytes):
    started = time.perf_counter()
    response = landlord.request(
        "POST",
        f"/api/v1/listings/{listing_id}/photos",
        files={"file": ("bench.jpg", photo, "image/jpeg")},
        data={"caption": "bench"},
    )
    accepted = time.perf_counter()
    if response.status_code != 202:
        raise SystemExit(f"upload refused: {response.status_code} {response.text[:300]}")
    deadline = started + TIMEOUT_SECONDS
    while time.perf_counter() < deadline:
        images = anonymous.call("GET", f"/api/v1/listings/{listing_id}")["images"]
        if images:
            card = anonymous.http.get(images[0]["variants"]["card"]["url"], timeout=10)
            if card.status_code == 200:
                visible = time.perf_counter()
                return (accepted - started) * 1000, (visible - started) * 1000
        time.sleep(POLL_SECONDS)
    raise SystemExit(f"photo of {listing_id} not visible after {TIMEOUT_SECONDS} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=60, help="per concurrency level")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()
    landlord = Api().new_user(role="landlord", name="Bench Photographer")
    anonymous = Api()
    photos = [demo_photo(1000 + n) for n in range(8)]
    print(f"photos: {len(photos)} drawn, {statistics.fmean(map(len, photos)) / 1024:.0f} KB mean")
    firsts = {}
    for level in args.concurrency:
        listings = [
            landlord.publish(landlord.create_listing(title=f"Bench {level}-{n}", photos=[])["id"])
            for n in range(args.photos)
        ]
        with ThreadPoolExecutor(max_workers=level) as pool:
            results = list(
                pool.map(
                    lambda item: upload_to_visible(
                        landlord, anonymous, item[1]["id"], photos[item[0] % len(photos)]
                    ),
                    enumerate(listings),
                )
            )
        report(f"{level} at once: accepted", [accepted for accepted, _ in results])
        visible = [visible for _, visible in results]
        report(f"{level} at once: visible", visible)
        firsts[level] = percentile(visible, 50)
        for listing in listings:
            landlord.request("POST", f"/api/v1/listings/{listing['id']}/unpublish")
    base = args.concurrency[0]
    for level in args.concurrency[1:]:
        print(f"visible p50 at {level} at once / at {base}: {firsts[level] / firsts[base]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
