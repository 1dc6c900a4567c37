"""The indexer's caches hold values that repeat, not what is new at every write: many distinct
resources written leave them (nearly) as they were. A resource's whole text once went into the
normalize cache, one entry per write until 65,536 of them (bench/trace_memory.py)."""

from fhirapi.search.string_values import normalize
from fhirapi.services import FhirRepository

WRITES = 200


def observation(number: int) -> dict:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "Heart rate"},
        "effectiveDateTime": f"2024-01-01T10:{number // 60:02d}:{number % 60:02d}Z",
        "valueQuantity": {"value": 60 + number % 40, "unit": "/min"},
        "note": [{"text": f"reading number {number}, taken at rest"}],
    }


def test_distinct_writes_do_not_fill_the_normalize_cache(db):
    repository = FhirRepository()
    repository.create(observation(0))  # the values every write shares are cached now
    cached = normalize.cache_info().currsize
    for number in range(1, WRITES):
        repository.create(observation(number))
    assert normalize.cache_info().currsize - cached < 10  # not one per write
    assert len(repository.match("Observation", "_content=reading", limit=None)) == WRITES
