"""Demo data, so the platform is alive on first start: landlords and renters,
200 listings across cities, and some applications in every state. It goes in
through the public API, like any user's data, so every event, read model and
email follows. Runs once per database: a stamp in var/stamps/ records it.

    .venv/bin/python devstack/seed.py
"""

import random
import sys
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devstack.api_client import (  # noqa: E402
    Api,
    create_staff_account,
    listing_fields,
)
from devstack.layout import STAMP_DIR  # noqa: E402

SEEDED_STAMP = STAMP_DIR / "demo-data"

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
        photos=[{"url": f"https://img.hearth.example/demo/{number}.jpg", "caption": "Living room"}],
    )


def main() -> int:
    if SEEDED_STAMP.exists():
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
    SEEDED_STAMP.parent.mkdir(parents=True, exist_ok=True)
    SEEDED_STAMP.write_text(f"{date.today().isoformat()}\n")
    print(
        f"demo data: {LANDLORDS} landlords, {RENTERS} renters ({demo_email('renter', 1)} etc., "
        f"password {DEMO_PASSWORD}), staff {staff} (every /admin/<context>/), "
        f"{LISTINGS} listings, {applications} applications"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
