"""Load test: virtual clinicians on a real uvicorn server (loopback only, bounded in time).

Each user signs in twice, as a clinician would use WintEHR and a script its API: through the
sign-in form (a session cookie, for the chart pages) and with a bearer token from
`manage.py issue_token` (for FHIR). Then, with no think time, it sends a weighted mix of
FHIR reads by id, searches, writes (create and update Observation) and chart pages over its
own keep-alive connection, until the level's time is up. The store holds the demo population
(`--patients`), loaded first into an emptied store in WINTEHR_DATA_DIR.

Run: .venv/bin/python bench/load_test.py [--users 10 50 100] [--seconds 60] [--workers 2]
     .venv/bin/python bench/load_test.py --soak-minutes 10 [--soak-users 50]
Prints, per concurrency level, requests, throughput, p50/p95/p99 latency and errors by kind
(any status >= 400 or transport error is one); the soak mode also samples the RSS of the
server processes every --sample-seconds and prints start, end, max and slope.
Targets: error rate 0; memory flat over the soak (second-half slope near 0).
"""

import argparse
import asyncio
import io
import os
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
from _server import database_usage, running_server, server_rss_kib, server_usage
from _setup import django_ready, empty_store, print_table

django_ready()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402

from clinical.roles import ensure_role_groups  # noqa: E402
from fhirapi.demo.loader import demo_population_load  # noqa: E402
from fhirapi.services import FhirRepository  # noqa: E402

PASSWORD = "load-test-physician-password"
FHIR_JSON = "application/fhir+json"
TABS = ("vitals", "medications", "results", "problems", "allergies", "encounters", "notes")
HEART_RATE = {"system": "http://loinc.org", "code": "8867-4", "display": "Heart rate"}
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
PER_MIN = {"system": "http://unitsofmeasure.org", "code": "/min"}


@dataclass(frozen=True)
class Target:
    """One patient of the store, with what the mix asks about it."""

    patient_id: str
    family: str
    observation_ids: tuple[str, ...]
    observation_codes: tuple[str, ...]


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)  # "kind: status or exception" -> count
    server_cpu: float = 0.0  # CPU seconds the uvicorn processes used meanwhile
    database_cpu: float = 0.0  # and the embedded PostgreSQL
    seconds: float = 0.0  # until the last request ended (those under way at the deadline finish)

    def record(self, kind: str, started: float, outcome: str | None) -> None:
        self.latencies[kind].append((time.perf_counter() - started) * 1000)
        if outcome is not None:
            self.errors[f"{kind}: {outcome}"] += 1


# -- set-up (in process, before the server starts) ------------------------------------------------


def targets_load(patients: int) -> list[Target]:
    empty_store()
    demo_population_load(patients=patients)
    repository = FhirRepository()
    targets = []
    for patient in repository.match("Patient", "", limit=None):
        observations = repository.match(
            "Observation", f"patient={patient.resource_id}&category=vital-signs", limit=50
        )
        codes = {c["code"] for o in observations for c in o.content["code"].get("coding", [])}
        if codes:  # patients without vital signs are left out: their reads would be 404s
            targets.append(
                Target(
                    patient.resource_id,
                    patient.content["name"][0]["family"],
                    tuple(o.resource_id for o in observations),
                    tuple(sorted(codes)),
                )
            )
    return targets


def physicians_ensure(count: int) -> list[tuple[str, str]]:
    """`count` physician accounts with a known password: (username, bearer token) each."""
    group = ensure_role_groups()["physician"]
    accounts = []
    for number in range(count):
        user, _ = get_user_model().objects.get_or_create(username=f"load-physician-{number}")
        user.set_password(PASSWORD)
        user.save()
        user.groups.set([group])
        out = io.StringIO()
        call_command("issue_token", user.username, stdout=out)
        accounts.append((user.username, out.getvalue().strip()))
    return accounts


# -- one virtual user ------------------------------------------------------------------------------


class VirtualUser:
    def __init__(self, base: str, account: tuple[str, str], targets: list[Target], seed: int):
        self.username, token = account
        self.targets = targets
        self.rng = random.Random(seed)
        self.client = httpx.AsyncClient(base_url=base, timeout=30)
        self.api = {"Authorization": f"Bearer {token}", "Accept": FHIR_JSON}
        self.created: list[dict] = []  # Observations this user wrote, to update later

    async def sign_in(self) -> None:
        await self.client.get("/accounts/login/")
        response = await self.client.post(
            "/accounts/login/",
            data={
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.client.cookies["csrftoken"],
            },
        )
        if response.status_code != 302 or "sessionid" not in self.client.cookies:
            raise RuntimeError(f"sign-in of {self.username} failed: {response.status_code}")

    def target(self) -> Target:
        return self.rng.choice(self.targets)

    async def fhir(self, method: str, url: str, **kwargs) -> httpx.Response:
        return await self.client.request(method, f"/fhir/{url}", headers=self.api, **kwargs)

    async def read_by_id(self) -> httpx.Response:
        target = self.target()
        if self.rng.random() < 0.5:
            return await self.fhir("GET", f"Patient/{target.patient_id}")
        return await self.fhir("GET", f"Observation/{self.rng.choice(target.observation_ids)}")

    async def search_observations(self) -> httpx.Response:
        target = self.target()
        code = self.rng.choice(target.observation_codes)
        query = {"patient": target.patient_id, "code": code, "_sort": "-date"}
        return await self.fhir("GET", "Observation", params=query)

    async def search_conditions(self) -> httpx.Response:
        return await self.fhir("GET", "Condition", params={"patient": self.target().patient_id})

    async def search_patients(self) -> httpx.Response:
        return await self.fhir("GET", "Patient", params={"name": self.target().family[:4]})

    async def create_observation(self) -> httpx.Response:
        body = {
            "resourceType": "Observation",
            "status": "final",
            "category": [{"coding": [{"system": CATEGORY, "code": "vital-signs"}]}],
            "code": {"coding": [HEART_RATE]},
            "subject": {"reference": f"Patient/{self.target().patient_id}"},
            "effectiveDateTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "valueQuantity": {"value": self.rng.randint(50, 120), "unit": "/min", **PER_MIN},
        }
        response = await self.fhir("POST", "Observation", json=body)
        if response.status_code == 201:
            self.created.append(response.json())
        return response

    async def update_observation(self) -> httpx.Response:
        if not self.created:
            return await self.create_observation()
        body = self.rng.choice(self.created)
        body["valueQuantity"]["value"] = self.rng.randint(50, 120)
        body.pop("meta", None)
        return await self.fhir("PUT", f"Observation/{body['id']}", json=body)

    async def chart_summary(self) -> httpx.Response:
        return await self.client.get(f"/chart/{self.target().patient_id}/")

    async def chart_tab(self) -> httpx.Response:
        """A tab as the workspace asks for it: the HTMX fragment swapped into the chart."""
        url = f"/chart/{self.target().patient_id}/{self.rng.choice(TABS)}/"
        return await self.client.get(url, headers={"HX-Request": "true", "HX-Target": "chart-body"})

    async def run(self, deadline: float, tally: Tally) -> None:
        while time.perf_counter() < deadline:
            kind, action = self.rng.choices(MIX, weights=WEIGHTS)[0]
            started = time.perf_counter()
            try:
                response = await action(self)
                outcome = None if response.status_code < 400 else str(response.status_code)
            except httpx.HTTPError as exc:
                outcome = type(exc).__name__
            tally.record(kind, started, outcome)


ACTIONS: list[tuple[str, int, Callable[[VirtualUser], Awaitable[httpx.Response]]]] = [
    ("read by id", 30, VirtualUser.read_by_id),
    ("search Observation", 15, VirtualUser.search_observations),
    ("search Condition", 10, VirtualUser.search_conditions),
    ("search Patient", 10, VirtualUser.search_patients),
    ("create Observation", 8, VirtualUser.create_observation),
    ("update Observation", 5, VirtualUser.update_observation),
    ("chart summary", 12, VirtualUser.chart_summary),
    ("chart tab", 10, VirtualUser.chart_tab),
]
MIX = [(kind, action) for kind, _, action in ACTIONS]
WEIGHTS = [weight for _, weight, _ in ACTIONS]


# -- a run at one concurrency ----------------------------------------------------------------------


async def load_level(
    base: str, users: int, seconds: float, accounts: list, targets: list[Target]
) -> Tally:
    crowd = [VirtualUser(base, accounts[n % len(accounts)], targets, seed=n) for n in range(users)]
    try:
        for group in range(0, users, 10):  # sign-in is slow on purpose (PBKDF2): not measured
            await asyncio.gather(*(user.sign_in() for user in crowd[group : group + 10]))
        tally = Tally()
        port = int(base.rsplit(":", 1)[1])
        server, database = server_usage(port), database_usage()
        started = time.perf_counter()
        await asyncio.gather(*(user.run(started + seconds, tally) for user in crowd))
        tally.seconds = time.perf_counter() - started
        tally.server_cpu = server_usage(port).cpu_seconds - server.cpu_seconds
        tally.database_cpu = database_usage().cpu_seconds - database.cpu_seconds
        return tally
    finally:
        await asyncio.gather(*(user.client.aclose() for user in crowd))


async def rss_sampler(port: int, every: float, samples: list[tuple[float, int]]) -> None:
    started = time.perf_counter()
    while True:
        rss = await asyncio.to_thread(server_rss_kib, port)
        samples.append(((time.perf_counter() - started) / 60, rss))
        await asyncio.sleep(every)


async def soak(
    base: str, users: int, minutes: float, every: float, accounts: list, targets: list
) -> tuple[Tally, list[tuple[float, int]]]:
    samples: list[tuple[float, int]] = []
    sampler = asyncio.create_task(rss_sampler(int(base.rsplit(":", 1)[1]), every, samples))
    try:
        tally = await load_level(base, users, minutes * 60, accounts, targets)
    finally:
        sampler.cancel()
    return tally, samples


# -- reporting -------------------------------------------------------------------------------------


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def latency_row(label: str, values: list[float], seconds: float, errors: int) -> list:
    ordered = sorted(values)
    return [
        label,
        len(ordered),
        f"{len(ordered) / seconds:,.1f}",
        f"{statistics.median(ordered):.1f}",
        f"{percentile(ordered, 0.95):.1f}",
        f"{percentile(ordered, 0.99):.1f}",
        errors,
    ]


def tally_print(title: str, tally: Tally) -> None:
    errors_by_kind = Counter()
    for key, count in tally.errors.items():
        errors_by_kind[key.split(":")[0]] += count
    rows = [
        latency_row(kind, tally.latencies[kind], tally.seconds, errors_by_kind[kind])
        for kind, _, _ in ACTIONS
        if tally.latencies[kind]
    ]
    every = [x for values in tally.latencies.values() for x in values]
    rows.append(latency_row("all", every, tally.seconds, sum(tally.errors.values())))
    print_table(title, ["request", "count", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors"], rows)
    for key, count in tally.errors.most_common():
        print(f"  error {key}: {count}")
    print(
        f"  {len(every)} requests in {tally.seconds:.1f} s (requests under way at the deadline end)"
    )
    cores = os.cpu_count() or 1
    app, database = (1000 * cpu / len(every) for cpu in (tally.server_cpu, tally.database_cpu))
    print(
        f"  CPU per request: uvicorn {app:.1f} ms + PostgreSQL {database:.1f} ms"
        f" (at most {cores * 1000 / (app + database):,.0f} req/s on {cores} cores of its own)"
    )


def memory_print(samples: list[tuple[float, int]]) -> None:
    """RSS of the uvicorn processes: start, end, max, and slope (least squares) over the whole run
    and over its second half, when warm-up growth (caches, connections) is over."""
    half = [s for s in samples if s[0] >= samples[-1][0] / 2]
    rows = []
    for label, part in (("whole run", samples), ("second half", half)):
        minutes, kib = zip(*part, strict=True)
        slope = statistics.linear_regression(minutes, kib).slope if len(part) > 1 else 0.0
        rows.append(
            [
                label,
                f"{minutes[0]:.1f}-{minutes[-1]:.1f}",
                len(part),
                f"{kib[0] / 1024:.1f}",
                f"{kib[-1] / 1024:.1f}",
                f"{max(kib) / 1024:.1f}",
                f"{slope / 1024:+.2f}",
            ]
        )
    print_table(
        "Server RSS (uvicorn parent and workers), MiB",
        ["span", "minutes", "samples", "start", "end", "max", "slope MiB/min"],
        rows,
    )
    by_minute = {int(m): kib for m, kib in samples}
    print("  per minute (MiB):", " ".join(f"{kib / 1024:.0f}" for kib in by_minute.values()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, nargs="+", default=[10, 50, 100])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--soak-minutes", type=float, default=0, help="soak instead of levels")
    parser.add_argument("--soak-users", type=int, default=50)
    parser.add_argument("--sample-seconds", type=float, default=5)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--patients", type=int, default=50, help="demo population loaded")
    parser.add_argument("--accounts", type=int, default=10, help="physician accounts shared")
    args = parser.parse_args()
    targets = targets_load(args.patients)
    accounts = physicians_ensure(args.accounts)
    with running_server(workers=args.workers) as base:
        if args.soak_minutes:
            tally, samples = asyncio.run(
                soak(
                    base, args.soak_users, args.soak_minutes, args.sample_seconds, accounts, targets
                )
            )
            title = f"Soak: {args.soak_users} users for {args.soak_minutes:g} min"
            tally_print(f"{title}, {args.workers} uvicorn workers", tally)
            memory_print(samples)
        else:
            for users in args.users:
                tally = asyncio.run(load_level(base, users, args.seconds, accounts, targets))
                title = f"{users} concurrent users for {args.seconds:g} s"
                tally_print(f"{title}, {args.workers} uvicorn workers", tally)
    print(f"\nreproduce: {sys.executable} bench/load_test.py {' '.join(sys.argv[1:])}")


if __name__ == "__main__":
    main()
