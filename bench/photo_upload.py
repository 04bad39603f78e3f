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

from bench._stats import ratios, spread
from devstack.api_client import Api
from devstack.demo_photos import demo_photo

POLL_SECONDS = 0.02
TIMEOUT_SECONDS = 60


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
    visible_ms = {}
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
        accepted = [accepted for accepted, _ in results]
        visible_ms[level] = [visible for _, visible in results]
        for name, values in (("accepted", accepted), ("visible", visible_ms[level])):
            print(f"{level:>3} at once: {name:>8}: {spread(values)}")
        for listing in listings:
            landlord.request("POST", f"/api/v1/listings/{listing['id']}/unpublish")
    base = args.concurrency[0]
    for level in args.concurrency[1:]:
        ratio = ratios(visible_ms[level], visible_ms[base], (50,))
        print(f"visible at {level} at once / at {base}: {ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
