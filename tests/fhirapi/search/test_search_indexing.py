"""The index follows every write, in the write's own transaction."""

import pytest
from django.db import transaction

from fhirapi.search.engine import find_matches
from fhirapi.search.models import CompartmentIndex, ReferenceIndex, TextIndex, TokenIndex
from tests.fhirapi.conftest import observation, patient

pytestmark = pytest.mark.django_db


def found(resource_type: str, query: str) -> set[str]:
    pairs = [tuple(part.split("=", 1)) for part in query.split("&")]
    return {s.resource_id for s in find_matches(resource_type, pairs, limit=None)}


def test_create_update_and_delete_keep_the_index_current(repository):
    pid = repository.create(patient("Lovelace")).stored.resource_id
    assert found("Patient", "family=love") == {pid}
    repository.update("Patient", pid, patient("Hopper", id=pid))
    assert found("Patient", "family=love") == set()
    assert found("Patient", "family=hopper") == {pid}
    repository.delete("Patient", pid)
    assert found("Patient", "family=hopper") == set()
    assert not TokenIndex.objects.filter(record__resource_id=pid).exists()


def test_update_after_delete_indexes_again(repository):
    pid = repository.create(patient("Lovelace")).stored.resource_id
    repository.delete("Patient", pid)
    repository.update("Patient", pid, patient("Lovelace", id=pid))
    assert found("Patient", "family=lovelace") == {pid}


def test_patch_and_meta_change_reindex(repository):
    pid = repository.create(patient("Lovelace")).stored.resource_id
    patch = [{"op": "replace", "path": "/name/0/family", "value": "Byron"}]
    repository.patch("Patient", pid, patch, content_type="application/json-patch+json")
    assert found("Patient", "family=byron") == {pid}
    tag = [{"system": "urn:test", "code": "reindexed"}]
    repository.meta_change("Patient", pid, lambda meta: {**meta, "tag": tag})
    assert found("Patient", "_tag=urn:test|reindexed") == {pid}


def test_a_rolled_back_write_leaves_no_index_rows(repository):
    before = TextIndex.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        repository.create(patient("Ghost"))
        assert found("Patient", "family=ghost")
        raise RuntimeError("roll back")
    assert found("Patient", "family=ghost") == set()
    assert TextIndex.objects.count() == before


def test_transaction_bulk_path_indexes_references_and_compartments(repository):
    urn = "urn:uuid:5f0b8d0e-2c6f-4bb2-9d5a-1d1c3a4b5c6d"
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": urn,
                "resource": patient(),
                "request": {"method": "POST", "url": "Patient"},
            },
            {"resource": observation(urn), "request": {"method": "POST", "url": "Observation"}},
        ],
    }
    response = repository.transaction(bundle, base_url="http://testserver/fhir")
    pid = response["entry"][0]["response"]["location"].split("/")[1]
    assert len(found("Observation", f"subject=Patient/{pid}")) == 1
    assert ReferenceIndex.objects.filter(target_id=pid, param="subject").count() == 1
    assert CompartmentIndex.objects.filter(patient_id=pid).count() == 2  # itself and the Obs
