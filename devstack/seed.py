"""Demo data, so the platform is alive on first start: landlords and renters,
200 listings across cities, and some applications in every state. It goes in
through the public API, like any user's data, so every event, read model and
email follows. Runs once per database: a stamp in var/stamps/ records it.

Photos are a step of their own (stamp demo-photos), so a stack seeded before
photos existed gets them too: every demo listing gets one to three photos drawn
here (devstack/demo_photos.py), uploaded as a landlord uploads them, and its
coordinates set within its city.

    .venv/bin/python devstack/seed.py
"""

import random
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devstack.api_client import (  # noqa: E402
    Api,
    create_staff_account,
    listing_fields,
)
from devstack.demo_photos import demo_photo  # noqa: E402
from devstack.layout import STAMP_DIR  # noqa: E402

SEEDED_STAMP = STAMP_DIR / "demo-data"
PHOTOS_STAMP = STAMP_DIR / "demo-photos"

DEMO_PASSWORD = "hearth-demo-password"  # local demo accounts only
LANDLORDS = 5
RENTERS = 5
LISTINGS = 200
CITIES = {
    "Lisbon": ("PT", "EUR", 1400),
    "Porto": ("PT", "EUR", 1100),
    "Madrid": ("ES", "EUR", 1500),
    "Berlin": ("DE", "EUR", 1600),
    "Amsterdam": ("NL", "EUR", 2100),
    "Paris": ("FR", "EUR", 2000),
    "London": ("GB", "GBP", 2200),
    "Warsaw": ("PL", "PLN", 4200),
}
# Each city's centre; listings are spread within about 3 km of it.
CENTRES = {
    "Lisbon": (38.7223, -9.1393),
    "Porto": (41.1579, -8.6291),
    "Madrid": (40.4168, -3.7038),
    "Berlin": (52.5200, 13.4050),
    "Amsterdam": (52.3676, 4.9041),
    "Paris": (48.8566, 2.3522),
    "London": (51.5074, -0.1278),
    "Warsaw": (52.2297, 21.0122),
}
LISBON = CENTRES["Lisbon"]
CAPTIONS = ["Living room", "The building", "Bedroom", "Kitchen corner", "Morning light"]
KINDS = ["studio", "loft", "flat", "townhouse", "garden flat", "penthouse"]
FEATURES = ["bright", "quiet", "renovated", "spacious", "cosy", "central", "leafy"]
AMENITIES = ["balcony", "dishwasher", "elevator", "parking", "washer", "terrace", "gym"]


def demo_email(role: str, number: int) -> str:
    return f"{role}{number}@demo.hearth.local"


def staff_account() -> str:
    """Operations staff sign in to every context's admin with this account."""
    email = "staff@demo.hearth.local"
    create_staff_account(email=email, password=DEMO_PASSWORD, full_name="Demo Staff")
    return email


def users(api: Api, role: str, count: int) -> list[Api]:
    signed_in = []
    for number in range(1, count + 1):
        email = demo_email(role, number)
        name = f"Demo {role.title()} {number}"
        # An account left by an interrupted run answers the same; the sign-in works.
        api.register(email=email, password=DEMO_PASSWORD, full_name=name, role=role)
        signed_in.append(api.sign_in(email=email, password=DEMO_PASSWORD))
    return signed_in


def coordinates(city: str, rng: random.Random) -> dict:
    latitude, longitude = CENTRES[city]
    return {
        "latitude": f"{latitude + rng.uniform(-0.025, 0.025):.6f}",
        "longitude": f"{longitude + rng.uniform(-0.035, 0.035):.6f}",
    }


def listing(number: int, rng: random.Random) -> dict:
    city = list(CITIES)[number % len(CITIES)]
    country, currency, base_rent = CITIES[city]
    bedrooms = rng.choice([0, 1, 1, 2, 2, 3, 4])
    rent = round(base_rent * (0.6 + 0.3 * bedrooms) * rng.uniform(0.85, 1.2), -1)
    kind = "studio" if bedrooms == 0 else rng.choice(KINDS[1:])
    return listing_fields(
        title=f"{rng.choice(FEATURES).title()} {kind} in {city}",
        description=(
            f"A {rng.choice(FEATURES)} {kind} with {bedrooms or 'no separate'} bedroom(s), "
            f"close to shops and transport in {city}."
        ),
        street_address=f"{rng.randint(1, 200)} Demo Street",
        city=city,
        postal_code=f"{rng.randint(1000, 9999)}",
        country=country,
        monthly_rent={"amount": f"{rent:.2f}", "currency": currency},
        deposit={"amount": f"{rent * 2:.2f}", "currency": currency},
        bedrooms=bedrooms,
        bathrooms="1.0" if bedrooms < 3 else "2.0",
        area_sqm=f"{25 + bedrooms * 22 + rng.randint(0, 20)}.00",
        amenities=rng.sample(AMENITIES, rng.randint(1, 4)),
        pets_allowed=rng.random() < 0.4,
        available_from=(date.today() + timedelta(days=rng.randint(0, 90))).isoformat(),
        photos=[],  # uploaded ones instead: seed_photos
        **coordinates(city, rng),
    )


def add_photos(owner: Api, listing: dict, number: int) -> int:
    """One to three photos for a demo listing, unless it has some; its coordinates
    moved into its own city (demo data seeded before this had Lisbon's everywhere)."""
    path = f"/api/v1/listings/{listing['id']}"
    rng = random.Random(number)
    misplaced = listing["latitude"] == LISBON[0] and listing["city"] != "Lisbon"
    if misplaced and listing["city"] in CENTRES and listing["status"] != "let":
        owner.call("PATCH", path, json=coordinates(listing["city"], rng))
    if listing.get("images") or listing["status"] == "let":
        return 0
    # Text links to a host that never existed (img.hearth.example) go.
    if listing["photos"] and "hearth.example" in listing["photos"][0]["url"]:
        owner.call("PATCH", path, json={"photos": []})
    count = 1 + (number % 3 == 0) + (number % 5 == 0)
    kinds = ["facade", "room", "room"]
    for index in range(count):
        owner.call(
            "POST",
            f"{path}/photos",
            files={
                "file": (
                    f"demo-{number}-{index}.jpg",
                    demo_photo(number * 3 + index, kinds[index]),
                    "image/jpeg",
                )
            },
            data={"caption": CAPTIONS[(number + index) % len(CAPTIONS)]},
            expect=202,
        )
    return count


def seed_photos(landlords: list[Api]) -> int:
    """Every landlord's listings get photos, four uploads at a time."""
    work = []
    for owner in landlords:
        page = 1
        while page:
            mine = owner.call(
                "GET", "/api/v1/listings/mine", params={"page": page, "page_size": 100}
            )
            work += [(owner, listing) for listing in mine["results"]]
            page = page + 1 if mine.get("next") else 0
    with ThreadPoolExecutor(max_workers=4) as pool:
        added = pool.map(lambda item: add_photos(item[1][0], item[1][1], item[0]), enumerate(work))
        total = sum(added)
    PHOTOS_STAMP.parent.mkdir(parents=True, exist_ok=True)
    PHOTOS_STAMP.write_text(f"{date.today().isoformat()}\n")
    return total


def main() -> int:
    if SEEDED_STAMP.exists():
        if not PHOTOS_STAMP.exists():
            api = Api()
            landlords = [
                api.sign_in(email=demo_email("landlord", n), password=DEMO_PASSWORD)
                for n in range(1, LANDLORDS + 1)
            ]
            print(f"demo data present; {seed_photos(landlords)} demo photos uploaded")
            return 0
        print("demo data present")
        return 0
    api = Api()
    staff = staff_account()
    rng = random.Random(42)
    landlords = users(api, "landlord", LANDLORDS)
    renters = users(api, "renter", RENTERS)
    published = []
    for number in range(LISTINGS):
        owner = landlords[number % LANDLORDS]
        created = owner.create_listing(**listing(number, rng))
        if number % 20 != 19:  # a few stay drafts on the landlords' dashboards
            published.append((owner, owner.publish(created["id"])))
    applications = 0
    rng.shuffle(published)
    for index, renter in enumerate(renters):
        # Listings of their own: an approval lets a listing, closing it to others.
        for owner, chosen in published[index * 4 : (index + 1) * 4]:
            application = renter.apply(chosen["id"], move_in_date=chosen["available_from"])
            applications += 1
            if index == 0:
                owner.decide(application["id"], "approve")
            elif index == 1:
                owner.decide(application["id"], "reject")
    photos = seed_photos(landlords)
    SEEDED_STAMP.parent.mkdir(parents=True, exist_ok=True)
    SEEDED_STAMP.write_text(f"{date.today().isoformat()}\n")
    print(
        f"demo data: {LANDLORDS} landlords, {RENTERS} renters ({demo_email('renter', 1)} etc., "
        f"password {DEMO_PASSWORD}), staff {staff} (every /admin/<context>/), "
        f"{LISTINGS} listings with {photos} photos, {applications} applications"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
