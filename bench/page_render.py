"""Web page render times: the search page, through the gateway, as a browser gets it.

    .venv/bin/python bench/page_render.py [--loads 200]

Needs the running platform (`make up`, with its demo data). Times `--loads`
requests of the home/search page (the front end calling listings' API and
rendering the template), and in the same run the same number of calls to the
API alone, so the ratio shows what the front end adds. Two query mixes:
"repeated" (one query: listings' 30 s search cache is warm) and "varied" (each
load a new query, so every one misses the cache).
"""

import argparse
import itertools
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._stats import ratios, spread
from devstack.api_client import GATEWAY

CITIES = ["Lisbon", "Porto", "Madrid", "Berlin", "Amsterdam", "Paris", "London", "Warsaw"]


def queries(kind: str, count: int, salt: int) -> list[dict]:
    if kind == "repeated":
        return [{"city": "Lisbon", "ordering": "rent"}] * count
    combos = itertools.cycle(
        itertools.product(CITIES, [0, 800, 1200, 1600, 2000], ["rent", "-published_at"], [1, 2])
    )
    # A max_rent above every rent changes no result but makes each query, and so
    # listings' cache key, new: these loads miss the cache.
    return [
        {"city": city, "min_rent": rent, "max_rent": salt + i, "ordering": order, "page": page}
        for i, (city, rent, order, page) in enumerate(itertools.islice(combos, count))
    ]


def timed(session: requests.Session, url: str, params: dict) -> float:
    started = time.perf_counter()
    response = session.get(url, params=params, timeout=10)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code not in (200, 404):  # a page past the last is a 404
        raise RuntimeError(f"{response.url}: {response.status_code}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=200)
    args = parser.parse_args()
    session = requests.Session()
    session.get(f"{GATEWAY}/", timeout=10)  # warm up connections and imports
    print(f"{args.loads} loads each, through {GATEWAY}")
    salt = 100_000 + int(time.time()) % 800 * 1000  # within the API's max_rent limit
    for kind in ("repeated", "varied"):
        page_mix = queries(kind, args.loads, salt)
        api_mix = queries(kind, args.loads, salt + 500)
        page = [timed(session, f"{GATEWAY}/", q) for q in page_mix]
        api = [timed(session, f"{GATEWAY}/api/v1/listings", q) for q in api_mix]
        for name, values in (("page", page), ("API", api)):
            print(f"{kind:>8} {name:>4}: {spread(values, (50, 99))}")
        print(f"{kind:>8} page/API: {ratios(page, api)}")


if __name__ == "__main__":
    main()
