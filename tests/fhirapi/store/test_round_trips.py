"""Official R4 examples and Synthea bundles go in unchanged and come back equal but for meta."""

import json
from collections import Counter
from pathlib import Path

import pytest

from fhirapi.errors import InvalidResource, MethodNotAllowed
from fhirapi.services import SERVER_WRITTEN_TYPES, FhirRepository
from fhirapi.store.models import ResourceRecord
from fhirapi.store.references import iter_references
from tests.fhirapi.conftest import FIXTURES, SHARED_DATA
from tests.fhirapi.store.test_validation import INVALID_EXAMPLES

EXAMPLES = SHARED_DATA / "fhir-r4-examples"
SYNTHEA = SHARED_DATA / "synthea" / "r4-bundles"
needs_shared = pytest.mark.skipif(
    not EXAMPLES.is_dir(), reason="../shared/data is not beside the project"
)


def without_server_meta(resource: dict) -> dict:
    copy = json.loads(json.dumps(resource))
    meta = {k: v for k, v in copy.pop("meta", {}).items() if k not in ("versionId", "lastUpdated")}
    if meta:
        copy["meta"] = meta
    return copy


def example_files() -> list[Path]:
    return sorted(EXAMPLES.glob("*.json")) if EXAMPLES.is_dir() else []


def expected_refusal(path: Path, resource: dict) -> type[Exception] | None:
    """Examples the store must refuse: AuditEvents are written only by the server's audit trail,
    and a few official examples break R4's reference target types (see test_validation)."""
    if resource["resourceType"] in SERVER_WRITTEN_TYPES:
        return MethodNotAllowed
    return InvalidResource if path.name in INVALID_EXAMPLES else None


@needs_shared
@pytest.mark.django_db
def test_every_official_example_round_trips():
    repository = FhirRepository(lenient_references=True)
    failures, stored_count = [], 0
    for path in example_files():
        original = json.loads(path.read_text())
        refusal = expected_refusal(path, original)
        try:
            stored = repository.update(original["resourceType"], original["id"], original).stored
        except Exception as exc:  # collect every failure, then report them together
            if refusal is None or not isinstance(exc, refusal):
                failures.append(f"{path.name}: {exc}")
            continue
        stored_count += 1
        if refusal is not None:
            failures.append(f"{path.name}: stored, but {refusal.__name__} was expected")
        read = repository.read(stored.resource_type, stored.resource_id).content
        if without_server_meta(read) != without_server_meta(original):
            failures.append(f"{path.name}: read back differs")
    assert not failures, "\n".join(failures)
    assert ResourceRecord.objects.count() == stored_count > 340


def synthea_bundles() -> list[Path]:
    shared = sorted(SYNTHEA.glob("*.json")) if SYNTHEA.is_dir() else []
    return shared or sorted((FIXTURES / "synthea").glob("*.json"))


def reference_targets(bundle: dict) -> Counter:
    """How many references point at each entry of the bundle, by the entry's resource type."""
    types_by_url = {e["fullUrl"]: e["resource"]["resourceType"] for e in bundle["entry"]}
    counts: Counter = Counter()
    for item in bundle["entry"]:
        for site in iter_references(item["resource"]):
            if site.reference in types_by_url:
                counts[types_by_url[site.reference]] += 1
    return counts


def stored_reference_targets(resource_ids: set[tuple[str, str]]) -> Counter:
    counts: Counter = Counter()
    for record in ResourceRecord.objects.all():
        for site in iter_references(record.content):
            target = tuple(site.reference.split("/", 1))
            if target in resource_ids:
                counts[target[0]] += 1
    return counts


@pytest.mark.django_db
@pytest.mark.parametrize("path", synthea_bundles(), ids=lambda p: p.name[:24])
def test_synthea_bundle_imports_with_its_references(path):
    bundle = json.loads(path.read_text())
    if bundle.get("type") != "transaction":
        pytest.skip("not a transaction bundle")
    response = FhirRepository(lenient_references=True).transaction(
        bundle, base_url="http://test/fhir"
    )
    statuses = Counter(e["response"]["status"] for e in response["entry"])
    assert statuses == {"201 Created": len(bundle["entry"])}
    assert ResourceRecord.objects.count() == len(bundle["entry"])
    stored_ids = {(r.resource_type, r.resource_id) for r in ResourceRecord.objects.all()}
    assert stored_reference_targets(stored_ids) == reference_targets(bundle)
    assert not any(
        "urn:uuid:" in str(site.reference)
        for r in ResourceRecord.objects.all()
        for site in iter_references(r.content)
    )
