"""Many clients at once on the same resources, against a live server (two uvicorn processes of
four threads each, on the test database): no lost update (If-Match loops), one resource from
eight simultaneous conditional creates, complete and contiguous histories, and search indexes
that agree with the current versions afterwards."""

import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx

from fhirapi.services import FhirRepository
from fhirapi.store.models import ResourceRecord, ResourceVersion
from tests.fhirapi.conftest import patient
from tests.reliability.conftest import LONG

CLIENTS = 8
COUNTER = "http://wintehr.dev/fhir/StructureDefinition/test-counter"


def in_parallel(work, count: int = CLIENTS) -> list:
    """Run work(i) in `count` threads that start together; returns their results."""
    barrier = threading.Barrier(count)

    def started(index: int):
        barrier.wait(timeout=30)
        return work(index)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(started, range(count)))


def counter_of(resource: dict) -> int:
    return next(e["valueInteger"] for e in resource.get("extension", []) if e["url"] == COUNTER)


def with_counter(resource: dict, value: int) -> dict:
    others = [e for e in resource.get("extension", []) if e["url"] != COUNTER]
    return {**resource, "extension": [*others, {"url": COUNTER, "valueInteger": value}]}


def history_versions(http: httpx.Client, path: str) -> list[int]:
    bundle = http.get(f"{path}/_history", params={"_count": 1000}).json()
    return sorted(int(e["response"]["etag"][3:-1]) for e in bundle["entry"])


def assert_history_complete(resource_type: str, resource_id: str) -> None:
    """Versions 1..n, contiguous, in time order; the current row is version n."""
    versions = list(
        ResourceVersion.objects.filter(resource_type=resource_type, resource_id=resource_id)
        .order_by("version_id")
        .values_list("version_id", "last_updated")
    )
    numbers = [number for number, _ in versions]
    assert numbers == list(range(1, len(numbers) + 1))
    times = [moment for _, moment in versions]
    assert times == sorted(times)
    current = ResourceRecord.objects.get(resource_type=resource_type, resource_id=resource_id)
    assert current.version_id == numbers[-1]


def test_if_match_loops_lose_no_update(http):
    chart = http.post("/Patient", json=with_counter(patient("Counter"), 0)).json()["id"]
    increments = 6

    def increment(_: int) -> int:
        conflicts = 0
        for _ in range(increments):
            while True:
                current = http.get(f"/Patient/{chart}")
                body = with_counter(current.json(), counter_of(current.json()) + 1)
                answer = http.put(
                    f"/Patient/{chart}", json=body, headers={"If-Match": current.headers["ETag"]}
                )
                if answer.status_code == 200:
                    break
                assert answer.status_code == 412, answer.text
                conflicts += 1
        return conflicts

    conflicts = in_parallel(increment)

    final = http.get(f"/Patient/{chart}")
    assert counter_of(final.json()) == CLIENTS * increments
    assert final.headers["ETag"] == f'W/"{CLIENTS * increments + 1}"'
    assert sum(conflicts) > 0  # they did collide: If-Match turned the collisions away
    assert history_versions(http, f"/Patient/{chart}") == list(range(1, CLIENTS * increments + 2))
    assert_history_complete("Patient", chart)


def test_eight_simultaneous_conditional_creates_make_one_resource(http):
    identifier = {"system": "urn:test:mrn", "value": "MRN-CONCURRENT"}
    body = patient("Once", identifier=[identifier])
    condition = "identifier=urn:test:mrn|MRN-CONCURRENT"

    statuses = in_parallel(
        lambda _: http.post("/Patient", json=body, headers={"If-None-Exist": condition}).status_code
    )

    assert sorted(statuses) == [200] * (CLIENTS - 1) + [201]
    found = http.get("/Patient", params={"identifier": "urn:test:mrn|MRN-CONCURRENT"}).json()
    assert found["total"] == 1


def test_eight_simultaneous_conditional_creates_in_transactions_make_one_resource(http):
    identifier = {"system": "urn:test:mrn", "value": "MRN-BUNDLED"}
    condition = "identifier=urn:test:mrn|MRN-BUNDLED"

    def bundle(index: int) -> dict:
        return {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                {
                    "fullUrl": "urn:uuid:5ad2a2c6-0c3a-4bd1-9a48-7d1c5e1f0b2e",
                    "resource": patient("Bundled", identifier=[identifier]),
                    "request": {"method": "POST", "url": "Patient", "ifNoneExist": condition},
                },
                {
                    "resource": {
                        "resourceType": "Observation",
                        "status": "final",
                        "code": {"text": f"note {index}"},
                        "subject": {"reference": "urn:uuid:5ad2a2c6-0c3a-4bd1-9a48-7d1c5e1f0b2e"},
                    },
                    "request": {"method": "POST", "url": "Observation"},
                },
            ],
        }

    answers = in_parallel(lambda index: http.post("/", json=bundle(index)))

    assert [answer.status_code for answer in answers] == [200] * CLIENTS
    found = http.get("/Patient", params={"identifier": "urn:test:mrn|MRN-BUNDLED"}).json()
    assert found["total"] == 1
    chart = found["entry"][0]["resource"]["id"]
    notes = http.get("/Observation", params={"subject": f"Patient/{chart}"}).json()
    assert notes["total"] == CLIENTS  # every transaction's Observation points at the one Patient


def test_updates_deletes_and_transactions_at_once_leave_store_and_indexes_consistent(http):
    ids = [f"shared-{n}" for n in range(4)]
    repository = FhirRepository()
    for resource_id in ids:
        repository.update("Patient", resource_id, patient(id=resource_id, gender="male"))
    deadline = time.monotonic() + (20 if LONG else 6)
    statuses: Counter = Counter()
    lock = threading.Lock()

    def client(index: int) -> None:
        chance = random.Random(index)
        while time.monotonic() < deadline:
            target = chance.choice(ids)
            gender = chance.choice(["male", "female", "other"])
            action = chance.choice(["update", "update", "delete", "transaction", "read"])
            if action == "update":
                answer = http.put(f"/Patient/{target}", json=patient(id=target, gender=gender))
            elif action == "delete":
                answer = http.delete(f"/Patient/{target}")
            elif action == "read":
                answer = http.get("/Patient", params={"gender": gender, "_count": 50})
            else:
                pair = chance.sample(ids, 2)
                entries = [
                    {
                        "resource": patient(id=one, gender=gender),
                        "request": {"method": "PUT", "url": f"Patient/{one}"},
                    }
                    for one in pair
                ]
                answer = http.post(
                    "/", json={"resourceType": "Bundle", "type": "transaction", "entry": entries}
                )
            with lock:
                statuses[(action, answer.status_code)] += 1

    in_parallel(client)

    assert all(status < 500 for _, status in statuses), statuses
    assert sum(statuses.values()) > 50, statuses
    for resource_id in ids:
        assert_history_complete("Patient", resource_id)
    current = {
        record.resource_id: (None if record.deleted else record.content["gender"])
        for record in ResourceRecord.objects.filter(resource_type="Patient", resource_id__in=ids)
    }
    for gender in ["male", "female", "other"]:
        found = http.get("/Patient", params={"gender": gender, "_count": 1000}).json()
        matched = {entry["resource"]["id"] for entry in found.get("entry", [])}
        assert matched == {i for i, g in current.items() if g == gender}, (gender, current)
