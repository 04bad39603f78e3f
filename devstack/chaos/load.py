"""The load: an open model (arrivals at a fixed rate, whatever the answers take)
of a mixed population, through the front door, as real clients behave.

Which writes are retried, and why that is safe:
- register: the same email twice makes no second account (202 both times);
- sign-in: a second token pair for the same user harms no one;
- publish, approve: a state transition; a repeat of one that landed is a 409,
  and reading the object back shows whether it did;
- apply: one active application per renter and listing, so a repeat of one that
  landed is a 409, and the renter's list shows it;
- create a listing: nothing makes a repeat safe (no idempotency key in the API),
  so it is not retried: a lost answer is a failed request, as for a real client.
"""

import math
import os
import random
import resource
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from devstack.api_client import listing_fields
from devstack.chaos.client import Client, Outcome
from devstack.chaos.recorder import Recorder, RequestRecord

MAX_WORKERS = 1000
DEMO_PASSWORD = "hearth-demo-password"  # the seeded demo users' (README)
# Test accounts on a test platform, like the demo users: no secret.
POOL_PASSWORD = os.environ.get("HEARTH_CHAOS_POOL_PASSWORD", "a-steady-pool-of-tenants")
CITIES = ("Lisbon", "Porto", "Berlin", "Madrid", "Paris", "Rome", "Vienna", "Prague")

# Shares of the arrivals. A create_listing arrival also publishes (two requests).
DEFAULT_MIX = {
    "search": 30,
    "detail": 18,
    "home": 12,
    "sign_in": 8,
    "register": 3,
    "create_listing": 8,
    "apply": 14,
    "approve": 4,
}


@dataclass
class User:
    email: str
    password: str
    role: str
    token: str | None = None


@dataclass
class Listing:
    id: str
    owner: User
    published: bool = False
    let: bool = False
    applicants: set[str] = field(default_factory=set)  # renters' emails


@dataclass
class Application:
    id: str
    listing: Listing
    renter: User
    approved: bool = False


class World:
    """What the clients know, shared by the load's threads under one lock."""

    def __init__(self, rng: random.Random) -> None:
        self.lock = threading.Lock()
        self.rng = rng
        self.landlords: list[User] = []
        self.renters: list[User] = []
        self.accounts: list[User] = []  # registered during the run
        self.read_ids: list[str] = []  # listings anyone may read
        self.listings: list[Listing] = []
        self.applications: list[Application] = []

    def pick_application_target(self) -> tuple[User, Listing] | None:
        with self.lock:
            open_listings = [item for item in self.listings if item.published and not item.let]
            self.rng.shuffle(open_listings)
            for listing in open_listings:
                free = [r for r in self.renters if r.email not in listing.applicants]
                if free:
                    renter = self.rng.choice(free)
                    listing.applicants.add(renter.email)
                    return renter, listing
        return None

    def pick_approval(self) -> Application | None:
        with self.lock:
            waiting = [a for a in self.applications if not a.listing.let]
            if not waiting:
                return None
            application = self.rng.choice(waiting)
            # Claimed now so no second approval of the listing is tried meanwhile.
            application.listing.let = True
            return application


class Load:
    def __init__(
        self,
        client: Client,
        recorder: Recorder,
        *,
        rate: float,
        mix: dict[str, int] | None = None,
        seed: int = 11,
        workers: int | None = None,
    ) -> None:
        self.client = client
        self.recorder = recorder
        self.rate = rate
        self.mix = mix or DEFAULT_MIX
        self.world = World(random.Random(seed))
        # Enough threads for every arrival still retrying at the worst moment, so
        # the generator itself never queues requests and adds latency of its own.
        worst = rate * (client.retry_budget_s + client.attempt_timeout_s)
        self.workers = workers or min(MAX_WORKERS, max(16, math.ceil(worst)))
        self.run_password = f"chaos-{uuid.uuid4().hex}"
        self.started = 0.0
        self.cpu_seconds = 0.0
        self.wall_seconds = 0.0

    # --- setup: not measured -------------------------------------------------

    def prepare(self, register_elsewhere: Callable[[list[dict]], None] | None = None) -> None:
        """Sign in the demo users, or else a fixed pool of test users, registering
        those missing (through `register_elsewhere` when the API refuses for its
        per-address limit); then learn some readable listings."""
        demo = True
        missing = []
        for role, count in (("landlord", 5), ("renter", 5)):
            for n in range(1, count + 1):
                user = User(f"{role}{n}@demo.hearth.local", DEMO_PASSWORD, role)
                # One failure says there is no demo data: sign-ins per address are limited.
                demo = demo and self._sign_in(user)
                if not demo:
                    # Fixed names, so a later run signs them in rather than registering
                    # again (production's per-address limit is 20 registrations an hour).
                    user = User(f"chaos-{role}{n}@example.test", POOL_PASSWORD, role)
                    if not self._sign_in(user):
                        missing.append(user)
                (self.world.landlords if role == "landlord" else self.world.renters).append(user)
        refused = [user for user in missing if self._register(user).status != 202]
        if refused and register_elsewhere:
            register_elsewhere(
                [{"email": u.email, "password": u.password, "role": u.role} for u in refused]
            )
        for user in missing:
            if not self._sign_in(user):
                raise SystemExit(f"cannot sign in {user.email}: is the platform up?")
        found = self.client.send("GET", "/api/v1/listings", params={"page_size": 100}, retry=True)
        if found.status != 200:
            raise SystemExit(f"search answered {found.status}: is the platform up?")
        self.world.read_ids = [hit["id"] for hit in found.response.json()["results"]]

    def _sign_in(self, user: User) -> bool:
        outcome = self.client.send(
            "POST",
            "/api/v1/auth/token",
            json={"email": user.email, "password": user.password},
            retry=True,
        )
        if outcome.status == 200:
            user.token = outcome.response.json()["access"]
            return True
        return False

    def _register(self, user: User) -> Outcome:
        body = {
            "email": user.email,
            "password": user.password,
            "full_name": "Chaos Client",
            "role": user.role,
        }
        return self.client.send("POST", "/api/v1/accounts/register", json=body, retry=True)

    # --- the run ---------------------------------------------------------------

    def run(self, duration: float, *, started: float, stop: threading.Event | None = None) -> None:
        """Issue arrivals for `duration` seconds from `started` (a monotonic time),
        then wait for every answer."""
        kinds, weights = list(self.mix), list(self.mix.values())
        rng = random.Random(self.world.rng.random())
        cpu_before = _cpu()
        self.started = started
        with ThreadPoolExecutor(self.workers, thread_name_prefix="load") as pool:
            arrival = 0
            while not (stop and stop.is_set()):
                due = self.started + arrival / self.rate
                if due - self.started >= duration:
                    break
                if (pause := due - time.monotonic()) > 0:
                    time.sleep(pause)
                pool.submit(self._operation(rng.choices(kinds, weights)[0]), due)
                arrival += 1
        self.wall_seconds = time.monotonic() - self.started
        self.cpu_seconds = _cpu() - cpu_before

    def now(self) -> float:
        return time.monotonic() - self.started

    def _operation(self, kind: str) -> Callable[[float], None]:
        return getattr(self, f"_op_{kind}")

    def _record(self, kind: str, due: float, outcome: Outcome, ok: bool) -> None:
        self.recorder.request(
            RequestRecord(
                kind=kind,
                due=due - self.started,
                latency=time.monotonic() - due,
                status=outcome.status,
                ok=ok,
                attempts=outcome.attempts,
                error=outcome.error or (None if ok else _body(outcome)),
            )
        )

    def _get(self, kind: str, due: float, path: str, **kwargs: object) -> None:
        outcome = self.client.send("GET", path, retry=True, **kwargs)
        self._record(kind, due, outcome, outcome.status == 200)

    def _op_search(self, due: float) -> None:
        city = self.world.rng.choice(CITIES)
        self._get("search", due, "/api/v1/listings", params={"city": city, "page_size": 20})

    def _op_detail(self, due: float) -> None:
        with self.world.lock:
            ids = self.world.read_ids
            listing_id = self.world.rng.choice(ids) if ids else None
        if listing_id is None:
            return self._op_search(due)
        return self._get("detail", due, f"/api/v1/listings/{listing_id}")

    def _op_home(self, due: float) -> None:
        self._get("home", due, "/")

    def _op_sign_in(self, due: float) -> None:
        with self.world.lock:
            user = self.world.rng.choice(self.world.landlords + self.world.renters)
        outcome = self.client.send(
            "POST",
            "/api/v1/auth/token",
            json={"email": user.email, "password": user.password},
            retry=True,
        )
        ok = outcome.status == 200
        if ok:
            # Fresh tokens keep the run going past the access token's lifetime.
            user.token = outcome.response.json()["access"]
        self._record("sign_in", due, outcome, ok)

    def _op_register(self, due: float) -> None:
        role = self.world.rng.choice(("renter", "landlord"))
        user = User(f"chaos-{uuid.uuid4().hex[:12]}@example.test", self.run_password, role)
        outcome = self._register(user)
        ok = outcome.status == 202
        if ok:
            self.recorder.write("account", user.email, self.now())
            with self.world.lock:
                self.world.accounts.append(user)
        self._record("register", due, outcome, ok)

    def _op_create_listing(self, due: float) -> None:
        with self.world.lock:
            owner = self.world.rng.choice(self.world.landlords)
            city = self.world.rng.choice(CITIES)
        fields = listing_fields(title=f"Chaos flat {uuid.uuid4().hex[:8]}", city=city)
        outcome = self.client.send(
            "POST", "/api/v1/listings", token=owner.token, json=fields, retry=False
        )
        ok = outcome.status == 201
        self._record("create_listing", due, outcome, ok)
        if not ok:
            return
        listing = Listing(outcome.response.json()["id"], owner)
        self.recorder.write("listing", listing.id, self.now(), owner=owner.email)
        self._publish(listing)

    def _publish(self, listing: Listing) -> None:
        due = time.monotonic()
        path = f"/api/v1/listings/{listing.id}/publish"
        outcome = self.client.send("POST", path, token=listing.owner.token, retry=True)
        ok = outcome.status == 200 or (
            outcome.status == 409
            and outcome.attempts > 1
            and self._status_of(listing) == "published"
        )
        self._record("publish", due, outcome, ok)
        if ok:
            listing.published = True
            self.recorder.write("listing", listing.id, self.now(), status=["published", "let"])
            with self.world.lock:
                self.world.listings.append(listing)
                self.world.read_ids.append(listing.id)

    def _status_of(self, listing: Listing) -> str | None:
        outcome = self.client.send(
            "GET", f"/api/v1/listings/{listing.id}", token=listing.owner.token, retry=True
        )
        return outcome.response.json().get("status") if outcome.status == 200 else None

    def _op_apply(self, due: float) -> None:
        target = self.world.pick_application_target()
        if target is None:
            return self._op_search(due)
        renter, listing = target
        body = {
            "listing_id": listing.id,
            "move_in_date": "2027-06-01",
            "occupants": 2,
            "monthly_income": {"amount": "5200.00", "currency": "EUR"},
            "message": "Chaos applicant.",
        }

        def not_arrived(response) -> bool:
            # The publication has not reached applications' read model yet.
            return response.status_code == 400 and "listing_id" in response.text

        outcome = self.client.send(
            "POST",
            "/api/v1/applications",
            token=renter.token,
            json=body,
            retry=True,
            again=not_arrived,
        )
        application_id = None
        if outcome.status == 201:
            application_id = outcome.response.json()["id"]
        elif outcome.status == 409 and outcome.attempts > 1:
            application_id = self._find_application(renter, listing)
        # A 409 is an answer either way: an earlier attempt landed (found above), or
        # the listing was let meanwhile, a correct refusal.
        ok = application_id is not None or outcome.status == 409
        self._record("apply", due, outcome, ok)
        if application_id:
            self.recorder.write(
                "application",
                application_id,
                self.now(),
                renter=renter.email,
                listing=listing.id,
                status=["submitted", "approved", "closed"],
            )
            with self.world.lock:
                self.world.applications.append(Application(application_id, listing, renter))

    def _find_application(self, renter: User, listing: Listing) -> str | None:
        outcome = self.client.send(
            "GET",
            "/api/v1/applications",
            token=renter.token,
            params={"listing_id": listing.id},
            retry=True,
        )
        if outcome.status != 200:
            return None
        results = outcome.response.json()["results"]
        return results[0]["id"] if results else None

    def _op_approve(self, due: float) -> None:
        application = self.world.pick_approval()
        if application is None:
            return self._op_search(due)
        landlord = application.listing.owner
        path = f"/api/v1/applications/{application.id}/approve"
        outcome = self.client.send("POST", path, token=landlord.token, retry=True)
        approved = outcome.status == 200
        if outcome.status == 409 and outcome.attempts > 1:
            read = self.client.send(
                "GET", f"/api/v1/applications/{application.id}", token=landlord.token, retry=True
            )
            approved = read.status == 200 and read.response.json()["status"] == "approved"
        self._record("approve", due, outcome, approved or outcome.status == 409)
        if approved:
            application.approved = True
            self.recorder.write("application", application.id, self.now(), status=["approved"])
            self.recorder.write("listing", application.listing.id, self.now(), status=["let"])
        elif outcome.status != 409:
            with self.world.lock:
                application.listing.let = False  # not let after all: free to approve again


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _body(outcome: Outcome) -> str | None:
    return outcome.response.text[:200] if outcome.response is not None else None
