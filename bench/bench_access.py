"""What a person's FHIR rights cost (clinical/fhir/access.py): a read and a search as the system,
as a physician with no chart closed to them, and as a physician with 20 restricted charts closed.
Each request loads the user afresh (as a web request does), so the rights and closed-chart
lookups are counted.

Run: .venv/bin/python bench/bench_access.py
"""

import statistics
import sys
import time
from collections.abc import Callable

from _setup import django_ready, empty_store, print_table

django_ready()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402

from clinical.chart_access.models import RestrictedChart  # noqa: E402
from clinical.chart_access.services import chart_restrict  # noqa: E402
from clinical.roles import ensure_role_groups  # noqa: E402
from fhirapi.services import FhirRepository, user_actor  # noqa: E402

PATIENTS = 200
RESTRICTED = 20
RUNS = 50
BASE = "http://bench/fhir"


def load() -> tuple[list[str], list[str]]:
    empty_store()
    RestrictedChart.objects.all().delete()  # left by an earlier run
    repository = FhirRepository()
    patients, labs = [], []
    for i in range(PATIENTS):
        patient = {"resourceType": "Patient", "name": [{"family": f"Access{i}"}]}
        patient_id = repository.create(patient).stored.resource_id
        patients.append(patient_id)
        for value in range(5):
            lab = {
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "2823-3"}]},
                "subject": {"reference": f"Patient/{patient_id}"},
                "valueQuantity": {"value": 4 + value / 10},
            }
            labs.append(repository.create(lab).stored.resource_id)
    return patients, labs


def user(username: str, *, admin: bool = False):
    model = get_user_model()
    found, _ = model.objects.get_or_create(username=username, defaults={"is_staff": admin})
    found.groups.set([ensure_role_groups()["admin" if admin else "physician"]])
    return found


def timed(action: Callable[[], object]) -> tuple[float, int]:
    samples, queries = [], []

    def counted(execute, sql, params, many, context):
        queries[-1] += 1
        return execute(sql, params, many, context)

    for _ in range(RUNS):
        queries.append(0)
        started = time.perf_counter()
        with connection.execute_wrapper(counted):
            action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), max(queries)


def main() -> None:
    patients, labs = load()
    physician = user("bench-physician")
    administrator = user("bench-admin", admin=True)

    def repository(who) -> FhirRepository:
        if who is None:
            return FhirRepository()
        fresh = get_user_model().objects.get(pk=who.pk)  # a new request's user
        return FhirRepository(actor=user_actor(fresh))

    def read(who) -> object:
        return repository(who).read("Observation", labs[-1])

    def search(who) -> object:
        params = [("code", "2823-3"), ("_count", "100"), ("_total", "none")]
        return repository(who).search_bundle("Observation", params, base_url=BASE)

    rows = []
    for label, who in (("system", None), ("physician, no chart closed", physician)):
        rows.append([label, *_row(read, search, who)])
    for patient_id in patients[:RESTRICTED]:
        chart_restrict(patient_id=patient_id, acting_user=administrator, care_team=[])
    rows.append([f"physician, {RESTRICTED} charts closed", *_row(read, search, physician)])
    print_table(
        f"In-process read and search under a person's rights ({PATIENTS} patients, "
        f"{PATIENTS * 5} Observations, median of {RUNS})",
        ["actor", "read ms", "read queries", "search ms", "search queries"],
        rows,
    )
    print(f"\nreproduce: {sys.executable} bench/bench_access.py")


def _row(read, search, who) -> list:
    read_ms, read_queries = timed(lambda: read(who))
    search_ms, search_queries = timed(lambda: search(who))
    return [f"{read_ms:.2f}", read_queries, f"{search_ms:.2f}", search_queries]


if __name__ == "__main__":
    main()
